/**
 * What the verifier needs of the module's Passport (`ModuleStrategies` satisfies it). Structural, so the
 * published declarations of `TokenVerifier` name no type of passport's, which ships none of its own.
 */
export interface VerificationStrategies {
  passport: {
    authenticate(
      names: string[],
      options: { session: false },
      callback: (err: unknown, user?: unknown, info?: unknown) => void,
    ): (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
  };
  names: readonly string[];
  /** An application strategy is registered: bearer tokens other than JWTs may reach it. */
  acceptsAnyBearerToken: boolean;
}
