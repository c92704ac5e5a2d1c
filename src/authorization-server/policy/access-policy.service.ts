import { Injectable, Logger } from '@nestjs/common';
import type { AccessPolicyContext, AccessPolicyDecision } from '../../config/access-policy.interface.js';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { applyAccessRules, type PolicyInput, type PolicyOutcome } from './access-rules.js';

/** A hook's reason reaches the audit log only as a short code. */
const SAFE_REASON = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The access policy, evaluated whenever a grant is made (end of the browser sign-in, ID-JAG, machine
 * client): the declarative `accessRules`, then the `accessPolicy` hook with what they left. A refusal
 * is audited (`access_policy_denied`, `reason` = the rule, e.g. `allowedEmailDomains`, or
 * `accessPolicy[:hook reason]`); the caller answers `access_denied` or `invalid_grant`. A hook that
 * throws or answers something unreadable refuses (fail closed).
 */
@Injectable()
export class AccessPolicyService {
  private readonly logger = new Logger('OAuthMcp:AccessPolicy');

  constructor(
    private readonly configService: OAuthMcpConfigService,
    private readonly audit: AuditService,
  ) {}

  async evaluate(input: PolicyInput): Promise<PolicyOutcome> {
    const outcome = await this.decide(input);
    if (!outcome.allowed) {
      this.audit.emit({
        type: 'access_policy_denied',
        clientId: input.clientId,
        subject: input.user?.sub,
        reason: outcome.reason ? `${outcome.rule}:${outcome.reason}` : outcome.rule,
        scopes: [...input.scopes],
      });
    }
    return outcome;
  }

  private async decide(input: PolicyInput): Promise<PolicyOutcome> {
    const c = this.configService.config;
    const declared = applyAccessRules(c.accessRules, input);
    if (!declared.allowed || !c.accessPolicy) return declared;
    const context: AccessPolicyContext = Object.freeze({
      grantType: input.grantType,
      clientId: input.clientId,
      user: input.user ? Object.freeze({ ...input.user, groups: Object.freeze([...input.user.groups]) }) : undefined,
      scopes: Object.freeze([...declared.scopes]),
    });
    let decision: AccessPolicyDecision;
    try {
      decision = await c.accessPolicy(context);
    } catch (err) {
      this.logger.error(`The accessPolicy hook threw (${(err as Error)?.name ?? typeof err}); the grant is refused`);
      return { allowed: false, rule: 'accessPolicy', reason: 'error' };
    }
    return readDecision(decision, declared.scopes);
  }
}

function readDecision(decision: AccessPolicyDecision, scopes: string[]): PolicyOutcome {
  if (decision === true) return { allowed: true, scopes };
  if (decision === false) return { allowed: false, rule: 'accessPolicy' };
  if (typeof decision === 'object' && decision !== null && decision.allow === false) {
    const reason = typeof decision.reason === 'string' && SAFE_REASON.test(decision.reason) ? decision.reason : undefined;
    return { allowed: false, rule: 'accessPolicy', reason };
  }
  if (typeof decision === 'object' && decision !== null && decision.allow === true) {
    if (decision.scopes === undefined) return { allowed: true, scopes };
    if (!Array.isArray(decision.scopes)) return { allowed: false, rule: 'accessPolicy', reason: 'invalid_decision' };
    const kept = decision.scopes;
    return { allowed: true, scopes: scopes.filter((s) => kept.includes(s)) };
  }
  return { allowed: false, rule: 'accessPolicy', reason: 'invalid_decision' };
}
