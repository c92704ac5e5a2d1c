import { randomBytes } from 'node:crypto';
import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { DEFAULT_SCOPES, DEV_IDP, DevIdpModule } from './dev-idp.module.js';
import { HealthController } from './health.controller.js';
import type { ExampleServerExtension } from './example-tools.js';
import { EXAMPLE_SERVER_EXTENSION, McpController } from './mcp.controller.js';
import { oauthMcpOptionsFromEnv, type OAuthMcpModuleOptions, OAuthMcpModule } from 'nestjs-oauth-mcp';
import { OAuthMcpHealthIndicator } from 'nestjs-oauth-mcp/health';
import { type DevIdp } from 'nestjs-oauth-mcp/testing';

/**
 * Module options for the embedded default. Proxy mode: this server is the authorization server in
 * front of the dev IdP (a per-process random JWT_SECRET unless one is set). Native mode
 * (`OAUTH_MODE=native`): the dev IdP's own JWT access tokens are accepted.
 */
export function devIdpOptions(base: OAuthMcpModuleOptions, devIdp: DevIdp): OAuthMcpModuleOptions {
  const resource = `${base.serverUrl.replace(/\/$/, '')}/mcp`;
  const common = {
    ...base,
    provider: 'oidc' as const,
    issuer: devIdp.issuer,
    scopes: base.scopes ?? DEFAULT_SCOPES,
    resourceName: base.resourceName ?? 'nestjs-oauth-mcp example',
  };
  if (devIdp.proxyClient) {
    return {
      ...common,
      mode: 'proxy',
      clientId: devIdp.proxyClient.clientId,
      clientSecret: devIdp.proxyClient.clientSecret,
      jwtSecret: base.jwtSecret ?? randomBytes(32).toString('base64'),
    };
  }
  // `base` comes from the environment (either mode's shape); validated at bootstrap like any options.
  return { ...common, mode: 'native', audience: resource, requireAccessTokenType: true } as OAuthMcpModuleOptions;
}

/**
 * The mode the environment asks for: `OAUTH_MODE`, else proxy for the embedded dev IdP (no
 * `OAUTH_PROVIDER`) or when an upstream client id is set (as `oauthMcpOptionsFromEnv` infers it).
 */
export function exampleMode(env: Record<string, string | undefined>): 'native' | 'proxy' {
  const explicit = env.OAUTH_MODE;
  if (explicit === 'native' || explicit === 'proxy') return explicit;
  return !env.OAUTH_PROVIDER || env.OIDC_CLIENT_ID ? 'proxy' : 'native';
}

/**
 * The configuration and OAuth imports every example app shares: `ConfigModule` (the environment and
 * `.env`, or exactly `env` in tests), the embedded dev IdP when no provider is set, and
 * `OAuthMcpModule.forRootAsync` through `oauthMcpOptionsFromEnv`.
 */
export function exampleOAuthImports(env: Record<string, string | undefined> | undefined, global: boolean): NonNullable<ModuleMetadata['imports']> {
  const configModule = env
    ? ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, skipProcessEnv: true, load: [() => env] })
    : ConfigModule.forRoot({ isGlobal: true });
  return [
    configModule,
    DevIdpModule,
    OAuthMcpModule.forRootAsync({
      // Which routes exist is decided here, before the factory runs.
      mode: exampleMode(env ?? process.env),
      global,
      imports: [DevIdpModule],
      inject: [ConfigService, DEV_IDP],
      useFactory: (config: ConfigService, devIdp: DevIdp | null) => {
        const options = oauthMcpOptionsFromEnv(config);
        return devIdp ? devIdpOptions(options, devIdp) : options;
      },
    }),
  ];
}

/**
 * The example MCP server. Configuration comes from the environment (and `.env`), or from `env` when
 * given (tests), through `oauthMcpOptionsFromEnv` and `forRootAsync` with `ConfigService`.
 */
@Module({})
export class AppModule {
  static register(env?: Record<string, string | undefined>, extend?: ExampleServerExtension): DynamicModule {
    return {
      module: AppModule,
      imports: [...exampleOAuthImports(env, true), TerminusModule],
      controllers: [McpController, HealthController],
      providers: [OAuthMcpHealthIndicator, ...(extend ? [{ provide: EXAMPLE_SERVER_EXTENSION, useValue: extend }] : [])],
    };
  }
}
