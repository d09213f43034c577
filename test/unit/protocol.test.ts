import { expect } from 'chai';
import fc from 'fast-check';
import { ERROR_CODES, parseFrame } from '../../services/producer/protocol.js';

describe('WebSocket protocol parsing', () => {
  it('accepts join and leave with their fields and an optional id', () => {
    expect(parseFrame('{"type":"join","mode":"ffa3","region":"eu","id":"a"}')).to.deep.equal({ ok: true, message: { type: 'join', mode: 'ffa3', region: 'eu', id: 'a' } });
    expect(parseFrame('{"type":"leave","id":4}')).to.deep.equal({ ok: true, message: { type: 'leave', id: 4 } });
  });

  const refusals: [string, string, string | number | undefined][] = [
    ['not json', 'bad_request', undefined],
    ['[1,2]', 'bad_request', undefined],
    ['{"type":5}', 'bad_request', undefined],
    ['{"type":"join","id":{"x":1}}', 'bad_request', undefined],
    ['{"type":"hop","id":9}', 'unknown_type', 9],
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
    const anyFrame = fc.oneof(fc.string(), fc.json(), fc.record({ type: fc.oneof(fc.constantFrom('join', 'leave'), fc.string()), mode: fc.anything(), region: fc.anything(), id: fc.anything() }).map((value) => JSON.stringify(value)));
    fc.assert(fc.property(anyFrame, (text) => {
      const parsed = parseFrame(text);
      return parsed.ok ? ['join', 'leave'].includes(parsed.message.type) : (ERROR_CODES as readonly string[]).includes(parsed.code);
    }), { numRuns: 2000 });
  });
});
