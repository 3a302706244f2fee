import { Body, Controller, Get, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  AttestChallengeBody,
  AttestRegisterBody,
  AttestVerifyBody,
  SERVER_LIST_SIGNATURE_HEADER,
  type AttestChallengeReply,
  type AttestRegisterReply,
  type AttestVerifyReply,
  type AttestVersionsReply,
} from '@switchboard/protocol';
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { GrpcClients } from '../admin/grpc-clients.js';
import { ProtocolErrorFilter } from '../admin/http/protocol-error.filter.js';
import { parseOrBadRequest } from '../admin/http/route.js';
import { policyView } from './policy.cache.js';
import { PublicRateStore } from './public-rate.store.js';

const addressOf = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * The public HTTP routes of attestation and the server list on the gateway port
 * (docs/attestation.md). Bodies are checked against the protocol schemas, then proxied to
 * the attestation service over gRPC; every route is rate limited per client address.
 */
@Controller('v1')
@UseFilters(ProtocolErrorFilter)
export class PublicAttestationController {
  constructor(
    private readonly grpc: GrpcClients,
    private readonly rate: PublicRateStore,
  ) {}

  @Post('attest/register')
  @HttpCode(201)
  async register(@Body() body: unknown, @Req() req: Request): Promise<z.output<typeof AttestRegisterReply>> {
    await this.rate.hit('register', addressOf(req));
    return this.grpc.attestation((c) => c.registerDevice, parseOrBadRequest(AttestRegisterBody, body, 'body'));
  }

  @Post('attest/challenge')
  @HttpCode(200)
  async challenge(@Body() body: unknown, @Req() req: Request): Promise<z.output<typeof AttestChallengeReply>> {
    await this.rate.hit('challenge', addressOf(req));
    return this.grpc.attestation((c) => c.createChallenge, parseOrBadRequest(AttestChallengeBody, body, 'body'));
  }

  @Post('attest/verify')
  @HttpCode(200)
  async verify(@Body() body: unknown, @Req() req: Request): Promise<z.output<typeof AttestVerifyReply>> {
    await this.rate.hit('verify', addressOf(req));
    return this.grpc.attestation((c) => c.verify, parseOrBadRequest(AttestVerifyBody, body, 'body'));
  }

  @Get('attest/versions')
  async versions(@Req() req: Request): Promise<z.output<typeof AttestVersionsReply>> {
    await this.rate.hit('versions', addressOf(req));
    const res = await this.grpc.attestation((c) => c.getPolicies, {});
    return { policies: res.policies.map(policyView) };
  }

  /** The signed bootstrap list: the body is sent byte for byte as the attestation service signed it. */
  @Get('servers')
  async servers(@Req() req: Request, @Res() res: Response) {
    await this.rate.hit('servers', addressOf(req));
    const signed = await this.grpc.attestation((c) => c.getServerList, {});
    res.status(200).setHeader('content-type', 'application/json; charset=utf-8').setHeader(SERVER_LIST_SIGNATURE_HEADER, signed.signature).setHeader('cache-control', 'no-store').end(signed.body);
  }
}
