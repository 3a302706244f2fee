import { Injectable } from '@nestjs/common';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';
import { RoomsService } from './rooms.service.js';

/** NATS entry for the room lifecycle verbs `room.*` (served by RoomsCommandsHandler). */
@Injectable()
export class RoomsHandler {
  constructor(private readonly rooms: RoomsService) {}

  @Command('room.create')
  create(data: CommandData<'room.create'>, caller: Caller) {
    return this.rooms.create(caller, data);
  }

  @Command('room.join')
  join(data: CommandData<'room.join'>, caller: Caller) {
    return this.rooms.join(caller, data);
  }

  @Command('room.leave')
  leave(data: CommandData<'room.leave'>, caller: Caller) {
    return this.rooms.leave(caller, data);
  }

  @Command('room.get')
  get(data: CommandData<'room.get'>, caller: Caller) {
    return this.rooms.get(caller, data);
  }

  @Command('room.participants')
  participants(data: CommandData<'room.participants'>, caller: Caller) {
    return this.rooms.participantsOf(caller, data);
  }

  @Command('room.list')
  list(data: CommandData<'room.list'>, caller: Caller) {
    return this.rooms.list(caller, data);
  }

  @Command('room.update')
  update(data: CommandData<'room.update'>, caller: Caller) {
    return this.rooms.update(caller, data);
  }

  @Command('room.close')
  close(data: CommandData<'room.close'>, caller: Caller) {
    return this.rooms.close(caller, data);
  }

  @Command('room.broadcast')
  broadcast(data: CommandData<'room.broadcast'>, caller: Caller) {
    return this.rooms.broadcast(caller, data);
  }
}
