import { Module } from '@nestjs/common';
import { GrpcClients } from './grpc-clients.js';

/** The gRPC clients of the other services, one set per replica: the admin API and attestation share it. */
@Module({ providers: [GrpcClients], exports: [GrpcClients] })
export class GrpcClientsModule {}
