import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { OAuthMcpModuleExtras, OAuthMcpModuleOptions } from './config/oauth-mcp-options.interface.js';

/** @internal Module plumbing: `forRoot` / `forRootAsync` with `useFactory`, `useClass` and `useExisting`. */
export const {
  ConfigurableModuleClass: OAuthMcpConfigurableModule,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OAuthMcpModuleOptions>({ moduleName: 'OAuthMcp' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createOAuthMcpOptions')
  .setExtras<OAuthMcpModuleExtras>({ global: false, rootAliases: false, requestIdHeader: false }, (definition) => definition)
  .build();
