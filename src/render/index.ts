/**
 * Pictures of terms: SVG string diagrams and small line plots, as strings (no DOM needed).
 */
export * from './diagram';
export * from './plot';
export { esc } from './svg';
export * from './charts';
