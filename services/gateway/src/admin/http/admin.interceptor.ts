import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AuditService } from '../audit/audit.service.js';
import { parseInput, routeOf, type AdminInput, type AdminRequest, type AdminRouteDef } from './route.js';

/**
 * Runs every admin route the same way, from its table entry: validate params, query and
 * body (bad input → `bad_request`), call the handler, and for mutations write an audit
 * entry with the outcome (also when validation or the call failed).
 */
@Injectable()
export class AdminInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const def = routeOf(ctx.getHandler());
    if (!def) return next.handle();
    return from(this.run(def, ctx.switchToHttp().getRequest<AdminRequest>(), next));
  }

  private async run(def: AdminRouteDef, req: AdminRequest, next: CallHandler): Promise<unknown> {
    let input: AdminInput | undefined;
    try {
      input = req.adminInput = parseInput(def, req);
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      if (def.audit) await this.audit.recordCall(def.audit, { actor: input.actor, raw: req, input, result });
      return result;
    } catch (err) {
      if (def.audit) await this.audit.recordCall(def.audit, { actor: req.adminActor ?? 'anonymous', raw: req, input, error: err });
      throw err;
    }
  }
}
