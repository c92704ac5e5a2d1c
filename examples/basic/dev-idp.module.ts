import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { oauthMcpOptionsFromEnv } from 'nestjs-oauth-mcp';
import { startDevIdp, type DevIdp } from 'nestjs-oauth-mcp/testing';

export const DEV_IDP = 'EXAMPLE:DEV_IDP';
export const DEFAULT_SCOPES = ['mcp:read', 'mcp:write', 'mcp:admin'];

/** The embedded default runs proxy mode; `OAUTH_MODE=native` keeps the dev IdP as a plain native-mode issuer. */
export function embeddedMode(config: ConfigService): 'proxy' | 'native' {
  return config.get<string>('OAUTH_MODE') === 'native' ? 'native' : 'proxy';
}

/** The embedded default: no `OAUTH_PROVIDER` and not production. Production without a provider refuses to start. */
export function wantsDevIdp(config: ConfigService): boolean {
  return !config.get<string>('OAUTH_PROVIDER') && config.get<string>('NODE_ENV') !== 'production';
}

@Injectable()
class DevIdpLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DEV_IDP) private readonly devIdp: DevIdp | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.devIdp?.close();
  }
}

/** Starts the embedded development IdP when the environment asks for the embedded default. */
@Module({
  providers: [
    {
      provide: DEV_IDP,
      inject: [ConfigService],
      useFactory: async (config: ConfigService): Promise<DevIdp | null> => {
        if (!wantsDevIdp(config)) return null;
        const options = oauthMcpOptionsFromEnv(config);
        const port = config.get<string>('DEV_IDP_PORT');
        const base = options.serverUrl.replace(/\/$/, '');
        const devIdp = await startDevIdp({
          resource: `${base}/mcp`,
          scopes: options.scopes ?? DEFAULT_SCOPES,
          port: port === undefined ? undefined : Number(port),
          proxyCallbackUrl: embeddedMode(config) === 'proxy' ? `${base}/oauth/callback` : undefined,
        });
        // The startup block (bootstrap.ts) warns that it is development only.
        return devIdp;
      },
    },
    DevIdpLifecycle,
  ],
  exports: [DEV_IDP],
})
export class DevIdpModule {}
