import { Req } from '@nestjs/common';
import type { Request } from 'express';
import { AdminController } from '../http/admin-controller.js';
import { AdminRoute, Input, type InputOf } from '../http/route.js';
import { adminRoutes as r, type AdminRoutes as R } from '../routes.js';
import { AdminAttestationService } from './attestation.service.js';

@AdminController()
export class AdminAttestationController {
  constructor(private readonly attestation: AdminAttestationService) {}

  @AdminRoute(r.createBuildToken)
  createBuildToken(@Input() { body }: InputOf<R['createBuildToken']>) {
    return this.attestation.createBuildToken(body);
  }

  @AdminRoute(r.listBuildTokens)
  listBuildTokens(@Input() { query }: InputOf<R['listBuildTokens']>) {
    return this.attestation.listBuildTokens(query.platform);
  }

  @AdminRoute(r.revokeBuildToken)
  revokeBuildToken(@Input() { params }: InputOf<R['revokeBuildToken']>) {
    return this.attestation.revokeBuildToken(params.tokenId);
  }

  @AdminRoute(r.uploadReference)
  uploadReference(@Input() { params }: InputOf<R['uploadReference']>, @Req() req: Request) {
    return this.attestation.uploadReference(params.platform, params.version, req);
  }

  @AdminRoute(r.listReferences)
  listReferences(@Input() { query }: InputOf<R['listReferences']>) {
    return this.attestation.listReferences(query.platform);
  }

  @AdminRoute(r.deleteReference)
  deleteReference(@Input() { params }: InputOf<R['deleteReference']>) {
    return this.attestation.deleteReference(params.platform, params.version);
  }

  @AdminRoute(r.listPolicies)
  listPolicies() {
    return this.attestation.listPolicies();
  }

  @AdminRoute(r.setPolicy)
  setPolicy(@Input() { params, body }: InputOf<R['setPolicy']>) {
    return this.attestation.setPolicy(params.platform, body);
  }

  @AdminRoute(r.deletePolicy)
  deletePolicy(@Input() { params }: InputOf<R['deletePolicy']>) {
    return this.attestation.deletePolicy(params.platform);
  }

  @AdminRoute(r.listServers)
  listServers() {
    return this.attestation.listServers();
  }

  @AdminRoute(r.removeServer)
  removeServer(@Input() { params }: InputOf<R['removeServer']>) {
    return this.attestation.removeServer(params.nodeId);
  }
}
