import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as jose from 'jose';
import { ThrottlerException, ThrottlerGuard } from '@nestjs/throttler';

/*
 * Nest 12 and jose 6 are ES modules; @nestjs/throttler, @rekog/mcp-nest and jwks-rsa are CommonJS and
 * require() them. Two copies would break DI (a Reflector that is not the Reflector) and instanceof
 * checks (an HttpException that is not an HttpException). test/setup/single-esm-copies.ts makes the
 * require() side receive the very modules the import side has; this proves it.
 */

describe('one copy of Nest and jose in the test process', () => {
  it('what CommonJS code require()s is the ES module the specs import', async () => {
    const cjs = (await import('../setup/commonjs-side.cjs')).default as { common: typeof common; core: typeof core; jose: typeof jose };
    expect(cjs.common.HttpException).toBe(common.HttpException);
    expect(cjs.core.Reflector).toBe(core.Reflector);
    expect(cjs.jose.errors.JOSEError).toBe(jose.errors.JOSEError);
  });

  it('an error class from the CommonJS side is instanceof its ESM import; a CommonJS guard injects the ESM Reflector', () => {
    expect(new ThrottlerException()).toBeInstanceOf(common.HttpException);
    const paramTypes = Reflect.getMetadata('design:paramtypes', ThrottlerGuard) as unknown[];
    expect(paramTypes).toContain(core.Reflector);
  });
});
