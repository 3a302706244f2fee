import { Injectable } from '@nestjs/common';
import type * as proto from '@switchboard/proto';
import { CallLogService } from './call-log.service.js';
import { CallsService } from './calls.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** `call.*` verbs (served by the media root handler) and the call log's gRPC methods. */
@Injectable()
export class CallsHandler {
  constructor(
    private readonly calls: CallsService,
    private readonly callLog: CallLogService,
  ) {}

  @Command('call.start')
  start(data: CommandData<'call.start'>, caller: Caller) {
    return this.calls.start(caller, data);
  }

  @Command('call.accept')
  accept(data: CommandData<'call.accept'>, caller: Caller) {
    return this.calls.accept(caller, data);
  }

  @Command('call.decline')
  decline(data: CommandData<'call.decline'>, caller: Caller) {
    return this.calls.decline(caller, data);
  }

  @Command('call.end')
  end(data: CommandData<'call.end'>, caller: Caller) {
    return this.calls.end(caller, data);
  }

  /** gRPC methods of MediaService (the admin API reads the call log through them). */
  grpc() {
    return {
      listCalls: (req: proto.media.ListCallsRequest) => this.callLog.list(req),
      getCall: (req: proto.media.GetCallRequest) => this.callLog.get(req.callId),
    };
  }
}
