import { AdminTokenService } from './admin-tokens/admin-token.service.js';
import { AdminTokensController } from './admin-tokens/admin-tokens.controller.js';
import { RevocationsStore } from './admin-tokens/revocations.store.js';
import { AdminAttestationController } from './attestation/attestation.controller.js';
import { AdminAttestationService } from './attestation/attestation.service.js';
import { AdminAttachmentsController } from './attachments/attachments.controller.js';
import { AdminAttachmentsService } from './attachments/attachments.service.js';
import { AdminEmojiController } from './emoji/emoji.controller.js';
import { AdminEmojiService } from './emoji/emoji.service.js';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import { AuditStore } from './audit/audit.store.js';
import { AdminCallsController } from './calls/calls.controller.js';
import { AdminCallsService } from './calls/calls.service.js';
import { AdminSfuController } from './sfu/sfu.controller.js';
import { AdminSfuService } from './sfu/sfu.service.js';
import { AdminAuthGuard } from './auth/admin-auth.guard.js';
import { AdminInterceptor } from './http/admin.interceptor.js';
import { OpenApiController } from './openapi/openapi.controller.js';
import { AdminRoomsController } from './rooms/rooms.controller.js';
import { AdminRoomsService } from './rooms/rooms.service.js';
import { TokensController } from './tokens/tokens.controller.js';
import { AdminUsersController } from './users/users.controller.js';
import { AdminUsersService } from './users/users.service.js';

/** The admin REST API (/admin/v1), registered by AdminModule (the gRPC clients come from GrpcClientsModule). */
export const ADMIN_CONTROLLERS = [AdminRoomsController, AdminUsersController, AdminCallsController, AdminSfuController, AdminAttachmentsController, AdminEmojiController, TokensController, AdminTokensController, AdminAttestationController, AuditController, OpenApiController];
export const ADMIN_PROVIDERS = [AuditStore, AuditService, AdminAuthGuard, AdminTokenService, RevocationsStore, AdminInterceptor, AdminRoomsService, AdminUsersService, AdminCallsService, AdminSfuService, AdminAttachmentsService, AdminEmojiService, AdminAttestationService];
