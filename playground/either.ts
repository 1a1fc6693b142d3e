/**
 * The one fp-ts function the playground needs, without bundling fp-ts a second time: the library's
 * `Either` values come from the bundle, and a `Left` is tagged `_tag: 'Left'`.
 */
import type { Either, Left } from 'fp-ts/lib/Either.js';

export const isLeft = <E, A>(e: Either<E, A>): e is Left<E> => e._tag === 'Left';
