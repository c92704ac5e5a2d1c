import { ConfigurableModuleBuilder } from '@nestjs/common';
/** @internal Module plumbing: `forRoot` / `forRootAsync` with `useFactory`, `useClass` and `useExisting`. */
export const { ConfigurableModuleClass: OAuthMcpConfigurableModule, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE, } = new ConfigurableModuleBuilder({ moduleName: 'OAuthMcp' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createOAuthMcpOptions')
    .setExtras({ global: false }, (definition) => definition)
    .build();
