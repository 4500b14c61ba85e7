import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LoadEventEntity, QuarantinedLineEntity } from '../../entities';
import { PageInfo } from './page-info.type';
import { DateTimeScalar, JSONScalar } from './scalars';

export enum LoadEventTypeEnum { FILE_START = 'file_start', FILE_COMPLETE = 'file_complete', FILE_ERROR = 'file_error', REPLAY = 'replay' }
registerEnumType(LoadEventTypeEnum, {
  name: 'LoadEventType',
  description: 'FILE_START: a file began loading; FILE_COMPLETE: it applied (with counts); FILE_ERROR: it failed and nothing of it applied; '
    + 'REPLAY: an operator replayed from an event (metadata says from where, why, and what was restored).',
  valuesConfig: {
    FILE_START: { description: 'A file began loading (committed on its own, before the file applies).' },
    FILE_COMPLETE: { description: 'The file applied, all of it, with its counts.' },
    FILE_ERROR: { description: 'The file failed; nothing of it applied; errorMessage says why.' },
    REPLAY: { description: 'An operator replayed from an event; metadata says from where and why.' },
  },
});

@ObjectType('LoadEvent', { description: 'One entry of the append-only load event log. Events are never deleted; replayed ones carry replayDate.' })
export class LoadEventType {
  @Field(() => ID, { description: 'Event id: increases with time; entities name the event that last changed them (eventId).' }) id!: string;
  @Field(() => DateTimeScalar, { description: 'When the event was written.' }) eventTime!: Date;
  @Field(() => LoadEventTypeEnum, { description: 'What happened (see LoadEventType).' }) eventType!: LoadEventTypeEnum;
  @Field(() => String, { description: 'Full URI of the file.' }) sourceFile!: string;
  @Field(() => String, { nullable: true, description: 'The version of the file that was read (S3 ETag; sha256 for local files).' }) sourceEtag!: string | null;
  @Field(() => String, { nullable: true, description: 'sha256 of the bytes actually read.' }) sourceSha256!: string | null;
  @Field(() => String, { nullable: true, description: 'Product, ChannelNode or Attribute.' }) entityType!: string | null;
  @Field(() => Int, { nullable: true, description: 'Good lines read.' }) recordsProcessed!: number | null;
  @Field(() => Int, { nullable: true, description: 'Entities that did not exist before.' }) recordsInserted!: number | null;
  @Field(() => Int, { nullable: true, description: 'Entities whose content changed (or that came back from deleted).' }) recordsUpdated!: number | null;
  @Field(() => Int, { nullable: true, description: 'Lines identical to the stored state (not rewritten).' }) recordsUnchanged!: number | null;
  @Field(() => Int, { nullable: true, description: 'Entities marked deleted by a delete record.' }) recordsDeleted!: number | null;
  @Field(() => Int, { nullable: true, description: 'Bad lines kept in quarantinedLines instead of applied.' }) recordsQuarantined!: number | null;
  @Field(() => String, { nullable: true, description: 'Why the file failed, and what to do.' }) errorMessage!: string | null;
  @Field(() => JSONScalar, { nullable: true, description: 'Item counts, schema drift, type mismatches, membership disagreements, bytes, timings; errorCode on errors.' })
  metadata!: Record<string, unknown>;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Set when a replay superseded this event.' }) replayDate!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the operator replayed (set with replayDate).' }) replayReason!: string | null;

  static from(e: LoadEventEntity): LoadEventType {
    return Object.assign(new LoadEventType(), {
      id: e.id, eventTime: e.eventTime, eventType: e.eventType as LoadEventTypeEnum, sourceFile: e.sourceFile,
      sourceEtag: e.sourceEtag, sourceSha256: e.sourceSha256, entityType: e.entityType, recordsProcessed: e.recordsProcessed,
      recordsInserted: e.recordsInserted, recordsUpdated: e.recordsUpdated, recordsUnchanged: e.recordsUnchanged,
      recordsDeleted: e.recordsDeleted, recordsQuarantined: e.recordsQuarantined, errorMessage: e.errorMessage,
      metadata: e.metadata, replayDate: e.replayDate, replayReason: e.replayReason,
    });
  }
}

@InputType('LoadEventFilter', { description: 'All given conditions must hold.' })
export class LoadEventFilterInput {
  @Field(() => String, { nullable: true, description: 'Full URI or key of the file.' }) sourceFile?: string | null;
  @Field(() => [LoadEventTypeEnum], { nullable: true, description: 'Only these kinds of event.' }) eventTypes?: LoadEventTypeEnum[] | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Written at or after this time.' }) since?: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Written at or before this time.' }) until?: Date | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'Include events superseded by a replay.' }) includeReplayed?: boolean | null;
}

@ObjectType('LoadEventConnection', { description: 'A page of load events, newest first.' })
export class LoadEventConnection {
  @Field(() => [LoadEventType], { description: 'The events of this page.' }) nodes!: LoadEventType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many events match, over all pages.' }) totalCount!: number;
}

@ObjectType('LoadLock', {
  description: "The database session holding a business unit's loader lock (a load pass or a replay, of any copy of the service), "
    + 'as PostgreSQL sees it.',
})
export class LoadLockType {
  @Field(() => Int, { description: 'PostgreSQL backend pid of the session (pg_terminate_backend ends it).' }) pid!: number;
  @Field(() => String, { description: 'Its application_name: which business unit and since when, for this service\'s loaders.' }) applicationName!: string;
  @Field(() => String, { nullable: true, description: 'The client address of the session (null for a local socket).' }) clientAddress!: string | null;
  @Field(() => String, { description: 'The session state: active (a statement runs), idle in transaction, idle.' }) state!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When its current transaction began.' }) transactionStartedAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When its current (or last) statement began.' }) statementStartedAt!: Date | null;
  @Field(() => Float, { description: 'Seconds the session has been in its current state.' }) secondsInState!: number;
  @Field(() => String, { description: 'The first 300 characters of its current (or last) statement.' }) query!: string;
  @Field(() => Boolean, { description: 'It has stayed in one state longer than LOAD_STALL_SECONDS: loading makes no progress.' }) stalled!: boolean;
}

@ObjectType('LoadStatus', { description: "Where a business unit's loading stands." })
export class LoadStatusType {
  @Field(() => String, { description: 'The business unit code.' }) businessUnit!: string;
  @Field(() => Boolean, { description: 'A load pass is running in this service process.' }) running!: boolean;
  @Field(() => LoadEventType, { nullable: true, description: 'The latest valid FILE_COMPLETE.' }) lastCompleted!: LoadEventType | null;
  @Field(() => LoadEventType, { nullable: true, description: 'The FILE_ERROR that holds loading back, if any.' }) blockedBy!: LoadEventType | null;
  @Field(() => [String], { description: 'Files in the source not yet applied, in the order they will apply.' }) pendingFiles!: string[];
  @Field(() => Int, { description: 'Live (not deleted) products.' }) productCount!: number;
  @Field(() => Int, { description: 'Live items.' }) itemCount!: number;
  @Field(() => Int, { description: 'Live channel nodes.' }) channelNodeCount!: number;
  @Field(() => [String], {
    description: 'Why nothing may be loading although nothing failed: the business unit\'s folder is missing from the source '
      + '(with the folder that differs only in case, if there is one, and the BUSINESS_UNITS value to set) or holds no product '
      + 'and no channel file. Empty when the folder holds files.',
  }) warnings!: string[];
  @Field(() => LoadLockType, {
    nullable: true,
    description: "Who holds the business unit's loader lock right now (any copy of the service, a replay, or the session of a process "
      + 'that died and has not been noticed yet); null when it is free.',
  }) lock!: LoadLockType | null;
}

@ObjectType('QuarantinedLine', { description: 'A line that could not be applied, kept verbatim with the reason.' })
export class QuarantinedLineType {
  @Field(() => ID, { description: 'Id of the quarantined line.' }) id!: string;
  @Field(() => String, { description: 'Full URI of the file the line came from.' }) sourceFile!: string;
  @Field(() => Int, { description: '1-based line number in the (decompressed) file.' }) lineNumber!: number;
  @Field(() => String, { description: 'Why it could not be applied.' }) reason!: string;
  @Field(() => String, { description: 'The line exactly as read (long lines truncated, see reason).' }) rawLine!: string;
  @Field(() => ID, { nullable: true, description: 'The FILE_COMPLETE or FILE_ERROR event of the file.' }) eventId!: string | null;
  @Field(() => DateTimeScalar, { description: 'When it was quarantined.' }) createdAt!: Date;

  static from(q: QuarantinedLineEntity): QuarantinedLineType {
    return Object.assign(new QuarantinedLineType(), q);
  }
}

@ObjectType('QuarantinedLineConnection', { description: 'A page of quarantined lines, newest first.' })
export class QuarantinedLineConnection {
  @Field(() => [QuarantinedLineType], { description: 'The lines of this page.' }) nodes!: QuarantinedLineType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many lines match, over all pages.' }) totalCount!: number;
}

@ObjectType('BusinessUnit', { description: 'A configured business unit and where its data lives.' })
export class BusinessUnitType {
  @Field(() => String, { description: 'Code used in every businessUnit argument (case-insensitive).' }) code!: string;
  @Field(() => String, { description: 'PostgreSQL schema holding its tables.' }) schema!: string;
  @Field(() => String, { description: 'Folder of its files in the source bucket.' }) sourcePrefix!: string;
}
