import { expect } from 'chai';
import { parseMatchConfig } from '../../core/match-config.js';
import { DEFAULT_MATCH_CONFIG } from '../../core/rule.js';

const mode = { teams: 2, teamSize: 5, window: { initial: 20, perSecond: 10, max: 400 }, maxWaitSeconds: 120 };
const config = (patch: object) => ({ regions: ['eu', 'us-east'], modes: { '5v5': mode }, ...patch });

describe('parseMatchConfig', () => {
  it("parses the contract's shape, with max optional (no bound)", () => {
    const { window: _window, ...rest } = mode;
    const parsed = parseMatchConfig(config({ modes: { ffa3: { ...rest, window: { initial: 0, perSecond: 50 } } } }));
    expect(parsed.regions).to.deep.equal(['eu', 'us-east']);
    expect(parsed.modes.ffa3!.window).to.deep.equal({ initial: 0, perSecond: 50, max: Infinity });
    expect(parseMatchConfig(config({})).modes['5v5']).to.deep.equal(mode);
    // JSON has no Infinity: null is "no max" too.
    expect(parseMatchConfig(config({ modes: { ffa3: { ...rest, window: { initial: 0, perSecond: 50, max: null } } } })).modes.ffa3!.window.max).to.equal(
      Infinity,
    );
  });

  it('takes mode and region names in either case (they are AMQP names and Redis keys, both case-sensitive)', () => {
    const parsed = parseMatchConfig(config({ regions: ['EU', 'us-East'], modes: { Ranked5v5: mode } }));
    expect(parsed.regions).to.deep.equal(['EU', 'us-East']);
    expect(Object.keys(parsed.modes)).to.deep.equal(['Ranked5v5']);
  });

  it('accepts the built-in default written out', () => {
    const { ffa3 } = DEFAULT_MATCH_CONFIG.modes;
    const json = { regions: ['global'], modes: { ffa3: { ...ffa3!, window: { initial: 0, perSecond: 50 } } } };
    expect(parseMatchConfig(json)).to.deep.equal(DEFAULT_MATCH_CONFIG);
  });

  it('parses the party options, filling in their defaults, and leaves a mode without them as it was', () => {
    expect(parseMatchConfig(config({ modes: { '5v5': { ...mode, party: {} } } })).modes['5v5']!.party).to.deep.equal({ maxSize: 5, aggregate: 'avg' });
    expect(parseMatchConfig(config({ modes: { '5v5': { ...mode, party: { maxSize: 3, aggregate: 'max' } } } })).modes['5v5']!.party).to.deep.equal({
      maxSize: 3,
      aggregate: 'max',
    });
    expect(parseMatchConfig(config({})).modes['5v5']).to.not.have.property('party');
  });

  it('reads a ready check (accept.seconds, cooldownSeconds default 0); a mode without one has no accept key at all', () => {
    const parsed = parseMatchConfig(
      config({ modes: { '5v5': { ...mode, accept: { seconds: 10 } }, duo: { ...mode, accept: { seconds: 120, cooldownSeconds: 30 } }, plain: mode } }),
    );
    expect(parsed.modes['5v5']!.accept).to.deep.equal({ seconds: 10, cooldownSeconds: 0 });
    expect(parsed.modes.duo!.accept).to.deep.equal({ seconds: 120, cooldownSeconds: 30 });
    expect(parsed.modes.plain).to.not.have.property('accept');
  });

  const bad: [string, unknown, RegExp][] = [
    [
      'a party larger than a team',
      config({ modes: { '5v5': { ...mode, party: { maxSize: 6 } } } }),
      /modes\.5v5\.party\.maxSize: party\.maxSize must be at most teamSize/,
    ],
    [
      'an unknown party aggregate',
      config({ modes: { '5v5': { ...mode, party: { aggregate: 'sum' } } } }),
      /modes\.5v5\.party\.aggregate: must be "avg" or "max"/,
    ],
    ['a ready check over 120 s', config({ modes: { '5v5': { ...mode, accept: { seconds: 121 } } } }), /modes\.5v5\.accept\.seconds: must be <= 120/],
    ['a ready check of 0 s', config({ modes: { '5v5': { ...mode, accept: { seconds: 0 } } } }), /modes\.5v5\.accept\.seconds: must be >= 1/],
    [
      'a negative cooldown',
      config({ modes: { '5v5': { ...mode, accept: { seconds: 5, cooldownSeconds: -1 } } } }),
      /modes\.5v5\.accept\.cooldownSeconds: must be >= 0/,
    ],
    ['a negative growth', config({ modes: { '5v5': { ...mode, window: { ...mode.window, perSecond: -1 } } } }), /modes\.5v5\.window\.perSecond: must be >= 0/],
    ['a fractional team size', config({ modes: { '5v5': { ...mode, teamSize: 2.5 } } }), /modes\.5v5\.teamSize: must be an integer/],
    ['a room of one', config({ modes: { solo: { ...mode, teams: 1, teamSize: 1 } } }), /modes\.solo: a room needs at least 2 players/],
    ['an unsafe mode name', config({ modes: { 'Five v Five': mode } }), /modes\.Five v Five: mode name must be letters, digits/],
    ['an unsafe region name', config({ regions: ['eu.west'] }), /regions\.0: must be letters, digits/],
    ['a repeated region', config({ regions: ['eu', 'eu'] }), /regions: must not repeat a region/],
    ['no region', config({ regions: [] }), /regions: must list at least one region/],
    ['no mode', config({ modes: {} }), /modes: must define at least one mode/],
    ['a misspelt field', config({ modes: { '5v5': { ...mode, maxWait: 3 } } }), /modes\.5v5: Unrecognized key/],
    ['a missing field', { regions: ['eu'] }, /modes: /],
    ['a wrong type', config({ modes: { '5v5': { ...mode, maxWaitSeconds: '60' } } }), /modes\.5v5\.maxWaitSeconds: must be a number/],
    ['not an object', [], /\(root\)/],
  ];
  for (const [what, json, message] of bad) {
    it(`rejects ${what}, naming the path`, () => {
      expect(() => parseMatchConfig(json)).to.throw(Error, message);
    });
  }
});
