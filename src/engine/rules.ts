import { Type, type Static } from '@sinclair/typebox';
import { PLAYBOOKS, SEVERITIES } from '../core/incident.js';

/**
 * The one schema of a rules file (type and validation both come from it). A rule matches
 * signals and yields a playbook; `alert` tells people and acts on nothing, `none` records only.
 */
const OneOrMany = (item: ReturnType<typeof Type.String>) => Type.Union([item, Type.Array(item, { minItems: 1 })]);

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

/** An evidence field: equal to a value, one of several, compared as a number, or present/absent. */
export const FieldCondition = Type.Union([
  Scalar,
  Type.Object(
    {
      in: Type.Optional(Type.Array(Scalar, { minItems: 1 })),
      gte: Type.Optional(Type.Number()),
      gt: Type.Optional(Type.Number()),
      lte: Type.Optional(Type.Number()),
      lt: Type.Optional(Type.Number()),
      exists: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
]);
export type FieldCondition = Static<typeof FieldCondition>;

const PlaybookLiteral = Type.Union(PLAYBOOKS.map((p) => Type.Literal(p)));

export const RuleMatch = Type.Object(
  {
    kind: Type.Optional(OneOrMany(Type.String({ minLength: 1, description: 'signal kind; * matches any run of characters (github.secret.*)' }))),
    source: Type.Optional(OneOrMany(Type.String({ minLength: 1 }))),
    confidence: Type.Optional(Type.Union([Type.Literal('suspected'), Type.Literal('confirmed')])),
    credential: Type.Optional(OneOrMany(Type.String({ minLength: 1, description: 'a credential id (wildcards allowed) or tag:NAME' }))),
    /** Which key matched: the credential's own, or LeakGuard's master key for its account. */
    key: Type.Optional(Type.Union([Type.Literal('credential'), Type.Literal('master')])),
    /** Evidence fields by dotted path. */
    fields: Type.Optional(Type.Record(Type.String({ minLength: 1 }), FieldCondition)),
    /** Only while the credential's active incident runs one of these playbooks, or after one closed within `closedWithinMinutes`. */
    incident: Type.Optional(
      Type.Object(
        {
          playbook: Type.Array(PlaybookLiteral, { minItems: 1 }),
          closedWithinMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RuleMatch = Static<typeof RuleMatch>;

export const Rule = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'unique in the file; named on every decision' }),
    description: Type.Optional(Type.String()),
    match: RuleMatch,
    /** At least `count` matching signals from at least `distinctSources` sources, received within `minutes` (this one included). */
    window: Type.Optional(
      Type.Object(
        {
          minutes: Type.Number({ exclusiveMinimum: 0, maximum: 10_080 }),
          count: Type.Integer({ minimum: 1, default: 1 }),
          distinctSources: Type.Integer({ minimum: 1, default: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
    playbook: Type.Union([PlaybookLiteral, Type.Literal('alert'), Type.Literal('none')]),
    approval: Type.Boolean({ default: false, description: 'the playbook waits for an operator before its first steps' }),
    /** After an incident of this strength or stronger closed, a new match within this many minutes attaches to it and opens nothing. */
    cooldown: Type.Number({ minimum: 0, default: 0, description: 'minutes' }),
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s)), { default: 'critical' }),
  },
  { additionalProperties: false },
);
export type Rule = Static<typeof Rule>;

/** A signal as written in a rules file's tests: what the rules read of one. `ago` is minutes before the last. */
export const TestSignal = Type.Object(
  {
    kind: Type.String({ minLength: 1 }),
    source: Type.String({ minLength: 1 }),
    confidence: Type.Union([Type.Literal('suspected'), Type.Literal('confirmed')], { default: 'suspected' }),
    credential: Type.String({ minLength: 1, default: 'test-credential' }),
    key: Type.Union([Type.Literal('credential'), Type.Literal('master')], { default: 'credential' }),
    revoked: Type.Boolean({ default: false }),
    evidence: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
    ago: Type.Number({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);
export type TestSignal = Static<typeof TestSignal>;

/** One example: signals in order (the decision is the last one's), the incident state before, and what must come out. */
export const RuleTest = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    tags: Type.Array(Type.String(), { default: [] }),
    signals: Type.Array(TestSignal, { minItems: 1 }),
    incident: Type.Optional(
      Type.Object(
        {
          playbook: PlaybookLiteral,
          active: Type.Boolean({ default: true }),
          closedMinutesAgo: Type.Optional(Type.Number({ minimum: 0 })),
          changingKey: Type.Boolean({ default: false }),
        },
        { additionalProperties: false },
      ),
    ),
    paused: Type.Boolean({ default: false }),
    expect: Type.Object(
      {
        action: Type.Union(['open', 'escalate', 'attach', 'alert', 'ignore'].map((a) => Type.Literal(a))),
        rule: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        playbook: Type.Optional(PlaybookLiteral),
        approval: Type.Optional(Type.Boolean()),
        severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type RuleTest = Static<typeof RuleTest>;

export const RulesFile = Type.Object(
  {
    rules: Type.Array(Rule, { minItems: 1 }),
    tests: Type.Array(RuleTest, { default: [] }),
  },
  { additionalProperties: false },
);
export type RulesFile = Static<typeof RulesFile>;
