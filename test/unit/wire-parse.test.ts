import { expect } from 'chai';
import fc from 'fast-check';
import {
  clientFrameSchemas,
  createFrameParser,
  ERROR_CODES,
  fastPath,
  parseFrame,
  PARTY_CLIENT_TYPES,
  READY_CHECK_CLIENT_TYPES,
  requestId,
  requestIdOf,
  V1_CLIENT_TYPES,
} from '../../packages/client/src/wire/index.js';

describe('the wire module: parsing client frames', () => {
  it('accepts join and leave with their fields and an optional id', () => {
    expect(parseFrame('{"type":"join","mode":"ffa3","region":"eu","id":"a"}')).to.deep.equal({
      ok: true,
      message: { type: 'join', mode: 'ffa3', region: 'eu', id: 'a' },
    });
    expect(parseFrame('{"type":"leave","id":4}')).to.deep.equal({ ok: true, message: { type: 'leave', id: 4 } });
  });

  const refusals: [string, string, string | number | undefined][] = [
    ['not json', 'bad_request', undefined],
    ['[1,2]', 'bad_request', undefined],
    ['{"type":5}', 'bad_request', undefined],
    ['{"type":"join","id":{"x":1}}', 'bad_request', undefined],
    ['{"type":"hop","id":9}', 'unknown_type', 9],
    [`{"type":"${'x'.repeat(200)}","id":"long"}`, 'unknown_type', 'long'],
    ['{"type":"","id":1}', 'unknown_type', 1],
    ['{"type":"join","mode":"ffa3","id":"r"}', 'bad_request', 'r'],
    ['{"type":"join","mode":3,"region":"eu"}', 'bad_request', undefined],
  ];
  for (const [frame, code, id] of refusals) {
    it(`answers ${frame} with ${code}${id === undefined ? '' : ` echoing id ${id}`}`, () => {
      const parsed = parseFrame(frame);
      expect(parsed).to.include({ ok: false, code });
      if (!parsed.ok) {
        expect(parsed.id).to.equal(id);
        expect(parsed.message).to.be.a('string').and.not.equal('');
      }
    });
  }

  it('never throws, whatever text arrives, and every refusal carries a contract error code', () => {
    const anyFrame = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({ type: fc.oneof(fc.constantFrom('join', 'leave'), fc.string()), mode: fc.anything(), region: fc.anything(), id: fc.anything() })
        .map((value) => JSON.stringify(value)),
    );
    fc.assert(
      fc.property(anyFrame, (text) => {
        const parsed = parseFrame(text);
        return parsed.ok ? ['join', 'leave'].includes(parsed.message.type) : (ERROR_CODES as readonly string[]).includes(parsed.code);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the wire module: the id of a frame refused unread', () => {
  it("is the frame's id exactly when the id schema accepts it, whatever the rest", () => {
    const anyId = fc.oneof(fc.string({ maxLength: 70 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }));
    const frame = fc.record({ type: fc.string(), id: anyId, mode: fc.anything() }, { requiredKeys: [] }).map((value) => JSON.stringify(value));
    fc.assert(
      fc.property(frame, (text) => {
        const { id } = JSON.parse(text) as { id?: unknown };
        const valid = requestId.safeParse(id);
        expect(requestIdOf(text)).to.deep.equal(valid.success ? valid.data : undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('is undefined for text that is not a JSON object', () => {
    for (const text of ['not json', '[1,2]', '"id"', '7', 'null']) expect(requestIdOf(text)).to.equal(undefined);
  });
});

describe('the wire module: the parser fast path', () => {
  const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ minLength: 60, maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 66 }));
  // Mostly strings, so that well-formed frames (both ways of the boundaries) are common.
  const anyField = fc.oneof(
    { arbitrary: text, weight: 6 },
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  );
  /** join / leave look-alikes, right and wrong, as JSON text turns them (no undefined, no -0). */
  const candidate = fc
    .record({ type: fc.constantFrom('join', 'leave'), id: anyField, mode: anyField, region: anyField, extra: anyField }, { requiredKeys: ['type'] })
    .map((value) => JSON.parse(JSON.stringify(value)) as { type: 'join' | 'leave' });

  it('accepts exactly what the join and leave schemas accept, with the same result', () => {
    let accepted = 0;
    fc.assert(
      fc.property(candidate, (json) => {
        const fast = fastPath(json);
        const schema = clientFrameSchemas[json.type].safeParse(json);
        expect(fast !== undefined, JSON.stringify(json)).to.equal(schema.success);
        if (schema.success) expect(fast).to.deep.equal(schema.data);
        if (schema.success) accepted++;
      }),
      { numRuns: 5000 },
    );
    // Both sides of the line were tried, not only refusals.
    expect(accepted).to.be.within(500, 4500);
  });

  it('takes nothing that is not a join or a leave', () => {
    fc.assert(
      fc.property(fc.json(), (textValue) => {
        const json = JSON.parse(textValue) as unknown;
        const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
        if (type !== 'join' && type !== 'leave') expect(fastPath(json)).to.equal(undefined);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the wire module: v1.1 frames are declared, not turned on', () => {
  const v11: Record<string, unknown>[] = [
    { type: 'party.create', id: 1 },
    { type: 'party.join', code: 'ABC234', id: 2 },
    { type: 'party.leave', id: 3 },
    { type: 'party.kick', playerId: 'p', id: 4 },
    { type: 'accept', roomId: 'r', id: 5 },
    { type: 'decline', roomId: 'r', id: 6 },
  ];
  for (const frame of v11) {
    it(`the v1 parser answers ${String(frame.type)} unknown_type, worded as for any unknown type`, () => {
      expect(parseFrame(JSON.stringify(frame))).to.deep.equal({
        ok: false,
        id: frame.id,
        code: 'unknown_type',
        message: `unknown message type "${String(frame.type)}"; expected join or leave`,
      });
    });
  }

  it('a parser given the v1.1 types parses them with their schemas', () => {
    const parse = createFrameParser([...V1_CLIENT_TYPES, ...PARTY_CLIENT_TYPES, ...READY_CHECK_CLIENT_TYPES]);
    for (const frame of v11) expect(parse(JSON.stringify(frame))).to.deep.equal({ ok: true, message: frame });
    expect(parse('{"type":"party.join","id":7}')).to.include({ ok: false, code: 'bad_request', id: 7 });
    expect(parse('{"type":"hop"}')).to.deep.equal({
      ok: false,
      id: undefined,
      code: 'unknown_type',
      message: 'unknown message type "hop"; expected join, leave, party.create, party.join, party.leave, party.kick, accept or decline',
    });
  });
});
