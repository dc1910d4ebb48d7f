export * from './terms.ts';
export * from './tr.ts';
export * from './dot.ts';
export * from './quant.ts';
export * from './cost.ts';
export { Rng } from './rng.ts';
