/* global module, require */
/* eslint-disable @typescript-eslint/no-require-imports -- this file is the CommonJS side: it exists to require() */
// What a CommonJS dependency (@nestjs/throttler, @rekog/mcp-nest, jwks-rsa) gets from require().
module.exports = { common: require('@nestjs/common'), core: require('@nestjs/core'), jose: require('jose') };
