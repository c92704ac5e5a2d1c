var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Injectable } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../oauth-mcp.constants.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
/**
 * Bearer-token guard for any route; register it globally with `OAuthMcpModule.forRoot({ global: true })`
 * and opt routes out with `@Public()`.
 * @publicApi
 */
let JwtAuthGuard = class JwtAuthGuard extends BearerAuthGuard {
    isPublic(context) {
        return this.reflector.getAllAndOverride(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]) === true;
    }
};
JwtAuthGuard = __decorate([
    Injectable()
], JwtAuthGuard);
export { JwtAuthGuard };
