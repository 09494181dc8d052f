import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { API_GROUPS, ApiRestrictions, parseRestrictions, RestrictionSpecError } from './restricted-apis.js';

function fails(protocol: 'http' | 'grpc', specs: string[], message: RegExp): void {
  assert.throws(
    () => parseRestrictions(protocol, specs),
    (err: unknown) => {
      assert.ok(err instanceof RestrictionSpecError, `expected RestrictionSpecError, got ${String(err)}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseRestrictions: the format Triton parses', () => {
  test('groups before the first colon, the header up to the next =, the value after it (may hold : and =)', () => {
    const r = parseRestrictions('http', ['model-repository,logging:X-Admin-Key=a:b=c']);
    assert.deepEqual(r.groups(), ['model-repository', 'logging']);
    const restriction = r.get('logging')!;
    assert.equal(restriction, r.get('model-repository'));
    assert.equal(restriction.header, 'X-Admin-Key');
    assert.equal(restriction.key, 'x-admin-key');
    assert.equal(restriction.message, "This API is restricted, expecting header 'X-Admin-Key'");
    assert.ok(restriction.allows('a:b=c'));
    assert.equal(r.get('inference'), undefined);
  });

  test('gRPC headers are the metadata key triton-grpc-protocol-<header>, in lower case', () => {
    const r = parseRestrictions('grpc', ['inference:X-Api-Key=abc']);
    const restriction = r.get('inference')!;
    assert.equal(restriction.header, 'triton-grpc-protocol-x-api-key');
    assert.equal(restriction.key, 'triton-grpc-protocol-x-api-key');
    assert.equal(restriction.message, "This protocol is restricted, expecting header 'triton-grpc-protocol-x-api-key'");
  });

  test('several entries, each with its own header; headers() lists each once', () => {
    const r = parseRestrictions('http', ['inference:k1=v1', 'model-repository,logging:k2=v2', 'trace:k1=v3']);
    assert.deepEqual(r.groups(), ['inference', 'model-repository', 'trace', 'logging']);
    assert.deepEqual(r.headers(), ['k1', 'k2']);
    assert.ok(r.get('trace')!.allows('v3'));
    assert.ok(!r.get('trace')!.allows('v1'));
  });

  test('no entries: every group open', () => {
    const r = parseRestrictions('grpc', []);
    assert.deepEqual(r.groups(), []);
    assert.deepEqual(new ApiRestrictions().headers(), []);
  });

  test('every Triton group name is accepted', () => {
    const r = parseRestrictions('http', [`${API_GROUPS.join(',')}:k=v`]);
    assert.deepEqual(r.groups(), [...API_GROUPS]);
  });
});

describe('parseRestrictions: errors name the option and the problem', () => {
  test('missing : or =, or an empty part', () => {
    fails(
      'http',
      ['health'],
      /^--http-restricted-api \(TENSORGATE_HTTP_RESTRICTED_API\): must be <groups>:<header>=<value>.*no ':'/,
    );
    fails('http', ['health=x:y'], /no '=' after the ':'/);
    fails('grpc', [':k=v'], /^--grpc-restricted-protocol .*the group list before ':' is empty/);
    fails('http', ['health:=v'], /the header name between ':' and '=' is empty/);
    fails('http', ['health:k='], /the value after '=' is empty/);
  });

  test('an unknown group (Triton: no trimming, so a blank is part of the name)', () => {
    fails('http', ['foo:k=v'], /unknown restricted api 'foo' \(known: health, metadata, inference,/);
    fails('grpc', ['health, metadata:k=v'], /unknown restricted protocol ' metadata'/);
    fails('http', ['health,:k=v'], /unknown restricted api ''/);
  });

  test("a group in two entries, or twice in one (Triton's message)", () => {
    fails(
      'http',
      ['logging:k=v', 'health,logging:k2=v2'],
      /entry 2 of 2: restricted api 'logging' can not be specified in multiple config groups/,
    );
    fails('grpc', ['trace,trace:k=v'], /restricted protocol 'trace' can not be specified in multiple config groups/);
  });

  test('header names no client can send', () => {
    fails('http', ['health:x key=v'], /header name 'x key' is not a valid HTTP header name/);
    fails('http', ['health:a:b=v'], /header name 'a:b' is not a valid HTTP header name/);
    fails('grpc', ['health:x/key=v'], /header name 'x\/key' cannot be part of a gRPC metadata key/);
    fails('grpc', ['health:token-bin=v'], /ends in '-bin'/);
  });

  test('values no client can send unchanged', () => {
    fails('http', ['health:k= v'], /printable ASCII/);
    fails('http', ['health:k=v '], /printable ASCII/);
    fails('grpc', ['health:k=a\nb'], /printable ASCII/);
    fails('http', ['health:k=caf\u00e9'], /printable ASCII/);
    assert.ok(parseRestrictions('http', ['health:k=a b']).get('health')!.allows('a b'));
  });

  test('the secret value never appears in a message', () => {
    for (const spec of ['health:k=SECRETVALUE ', 'nope:k=SECRETVALUE', 'health:bad key=SECRETVALUE']) {
      assert.throws(
        () => parseRestrictions('http', [spec]),
        (err: unknown) => err instanceof RestrictionSpecError && !err.message.includes('SECRETVALUE'),
      );
    }
  });
});

describe('Restriction.allows', () => {
  const r = parseRestrictions('http', ['health:k=s3cret']).get('health')!;

  test('only the exact value, as one string', () => {
    assert.ok(r.allows('s3cret'));
    for (const other of ['', 's3cre', 's3cret2', 'S3CRET', ' s3cret', 's3cret, s3cret']) assert.ok(!r.allows(other));
    for (const notString of [undefined, null, ['s3cret'], Buffer.from('s3cret'), 1]) assert.ok(!r.allows(notString));
  });
});

// Property-based: the parser reads operator input, so no input may crash it.
const groupList = fc.subarray([...API_GROUPS], { minLength: 1 });
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/).filter((h) => !h.endsWith('-bin'));
const secret = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);

describe('parseRestrictions: properties (fast-check)', () => {
  test('any strings give restrictions or a RestrictionSpecError naming the option, never another exception', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http' as const, 'grpc' as const),
        fc.array(fc.string(), { maxLength: 4 }),
        (protocol, specs) => {
          try {
            const r = parseRestrictions(protocol, specs);
            assert.ok(r instanceof ApiRestrictions);
          } catch (err) {
            assert.ok(err instanceof RestrictionSpecError, `unexpected ${String(err)}`);
            assert.ok(
              err.message.startsWith(protocol === 'http' ? '--http-restricted-api' : '--grpc-restricted-protocol'),
            );
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('strings made of the syntax characters do not crash it either', () => {
    const piece = fc.constantFrom(':', '=', ',', ' ', 'health', 'logging', 'k', 'v', '-bin', '\n');
    fc.assert(
      fc.property(
        fc.array(
          fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
          { maxLength: 3 },
        ),
        (specs) => {
          try {
            parseRestrictions('grpc', specs);
          } catch (err) {
            assert.ok(err instanceof RestrictionSpecError, `unexpected ${String(err)}`);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a well-formed entry restricts exactly its groups to exactly its value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http' as const, 'grpc' as const),
        groupList,
        headerName,
        secret,
        (protocol, groups, header, value) => {
          const r = parseRestrictions(protocol, [`${groups.join(',')}:${header}=${value}`]);
          assert.deepEqual(
            r.groups(),
            API_GROUPS.filter((g) => groups.includes(g)),
          );
          for (const g of groups) {
            const restriction = r.get(g)!;
            assert.ok(restriction.allows(value));
            assert.ok(!restriction.allows(`${value}x`));
            assert.ok(!restriction.allows(value.slice(1)));
            assert.equal(restriction.key, protocol === 'grpc' ? `triton-grpc-protocol-${header}` : header);
          }
        },
      ),
    );
  });

  test('an error never repeats the value', () => {
    // A bad group or header in front of a distinctive secret: the message must not carry it.
    const badGroup = fc.stringMatching(/^[a-z]{1,8}$/).filter((g) => !(API_GROUPS as readonly string[]).includes(g));
    fc.assert(
      fc.property(badGroup, headerName, secret, (group, header, value) => {
        const tagged = `SECRET${value}`;
        assert.throws(
          () => parseRestrictions('http', [`${group}:${header}=${tagged}`]),
          (err: unknown) => err instanceof RestrictionSpecError && !err.message.includes(tagged),
        );
      }),
    );
  });
});
