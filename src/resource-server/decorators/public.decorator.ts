import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../../oauth-mcp.constants.js';

/** Opts a route or controller out of the global `JwtAuthGuard`. @publicApi */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
