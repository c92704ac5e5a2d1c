// Types of commonjs-side.cjs for the spec type check: what CommonJS code gets from require().
declare const cjs: { common: unknown; core: unknown; jose: unknown };
export = cjs;
