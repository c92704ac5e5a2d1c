import { JwksStrategyFor } from './jwks.strategy.js';

/** Microsoft Entra ID v2 tokens; the tenant rules (`iss`, `tid`) are the provider's (config/providers/azure.provider.ts). */
export class AzureStrategy extends JwksStrategyFor('azure') {}
