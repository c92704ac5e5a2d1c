var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Injectable } from '@nestjs/common';
import { REQUIRED_TOOL_SCOPES_KEY } from '../oauth-mcp.constants.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
/**
 * Guard for MCP endpoints. Always requires a token (`@Public()` does not apply: an MCP endpoint is
 * never anonymous), and adds the `@RequireToolScopes()` of every `tools/call` in the JSON-RPC body
 * (batches included) to the scopes required, so a missing tool scope is an HTTP 403 step-up challenge.
 * Put it on a controller that answers every method (`@All()`), so an unauthenticated GET/DELETE gets
 * 401 rather than 404/405 (mcp-remote falls back to SSE on those).
 * @publicApi
 */
let McpAuthGuard = class McpAuthGuard extends BearerAuthGuard {
    requiredScopes(context, req) {
        const scopes = new Set(super.requiredScopes(context, req));
        const byTool = this.reflector.getAllAndOverride(REQUIRED_TOOL_SCOPES_KEY, [
            context.getHandler(),
            context.getClass(),
        ]);
        if (byTool && req.method === 'POST') {
            const calls = Array.isArray(req.body) ? req.body : [req.body];
            for (const call of calls) {
                const { method, params } = (call ?? {});
                if (method === 'tools/call' && typeof params?.name === 'string' && Object.hasOwn(byTool, params.name)) {
                    for (const s of byTool[params.name])
                        scopes.add(s);
                }
            }
        }
        return [...scopes];
    }
};
McpAuthGuard = __decorate([
    Injectable()
], McpAuthGuard);
export { McpAuthGuard };
