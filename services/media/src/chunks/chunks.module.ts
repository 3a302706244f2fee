import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { MediaPlatformModule } from '../platform.module.js';
import { ChunkCacheStore } from './chunk-cache.store.js';
import { ChunksHandler } from './chunks.handler.js';
import { ChunksService } from './chunks.service.js';
import { ChunksStore } from './chunks.store.js';

/** Chunk distribution between connections (`chunk.*`). */
@Module({ imports: [MetricsModule, MediaPlatformModule], providers: [ChunksStore, ChunkCacheStore, ChunksService, ChunksHandler], exports: [ChunksService] })
export class ChunksModule {}
