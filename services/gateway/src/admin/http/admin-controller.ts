import { applyDecorators, Controller, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { AdminAuthGuard } from '../auth/admin-auth.guard.js';
import { AdminInterceptor } from './admin.interceptor.js';
import { ProtocolErrorFilter } from './protocol-error.filter.js';
import { ADMIN_PREFIX } from './route.js';

/** A controller under /admin/v1: admin auth, validation and audit from the route table, typed errors. */
export const AdminController = () => applyDecorators(Controller(ADMIN_PREFIX.slice(1)), UseGuards(AdminAuthGuard), UseInterceptors(AdminInterceptor), UseFilters(ProtocolErrorFilter));
