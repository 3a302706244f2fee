import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import type * as proto from '@switchboard/proto';
import { CallLogService } from './call-log.service.js';
import { CallsService } from './calls.service.js';

/** `call.*` verbs (served by the media root handler) and the call log's gRPC methods. */
@Injectable()
export class CallsHandler {
  constructor(
    private readonly calls: CallsService,
    private readonly callLog: CallLogService,
  ) {}

  commands(): DomainHandlers<'media', 'call'> {
    return {
      'call.start': (data, caller) => this.calls.start(caller, data),
      'call.accept': (data, caller) => this.calls.accept(caller, data),
      'call.decline': (data, caller) => this.calls.decline(caller, data),
      'call.end': (data, caller) => this.calls.end(caller, data),
    };
  }

  /** gRPC methods of MediaService (the admin API reads the call log through them). */
  grpc() {
    return {
      listCalls: (req: proto.media.ListCallsRequest) => this.callLog.list(req),
      getCall: (req: proto.media.GetCallRequest) => this.callLog.get(req.callId),
    };
  }
}
