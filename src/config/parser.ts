// The main and peer-group scopes of fastd.conf (fastd src/config.y `config` and
// `peer_group_config`), one file at a time. Inline peer groups are kept on an explicit
// stack rather than the call stack, so deep nesting fails with a ConfigError, not a
// RangeError.
import { addMethod, newGroupDraft, newPeerDraft, type ConfigDraft, type GroupDraft } from './draft.js';
import { ConfigError, type SourceLocation } from './errors.js';
import { isGlobalKeyword, parseGlobalStatement, type StatementContext } from './global-statements.js';
import type { Keyword } from './lexer.js';
import { addStaticPeer } from './peer-check.js';
import { addPeerDir } from './peer-dir.js';
import { parsePeerSource, parsePeerStatements, readIncluded } from './peer-statements.js';
import type { ConfigSource } from './sources.js';
import { TokenStream } from './token-stream.js';
import type { GroupHookName } from './types.js';

/**
 * fastd's bison parser has a 10000-entry stack (YYMAXDEPTH), which holds peer groups
 * nested 1998 deep in one file; deeper nesting is fastd's "memory exhausted".
 */
export const MAX_GROUP_NESTING = 1998;
/** `peer limit` is stored in a C int. */
const INT_MAX = 0x7fffffffn;

const GROUP_HOOKS: Readonly<Record<string, GroupHookName | 'onVerify'>> = {
  up: 'onUp',
  down: 'onDown',
  connect: 'onConnect',
  establish: 'onEstablish',
  disestablish: 'onDisestablish',
  verify: 'onVerify',
};

interface FileContext extends StatementContext {
  readonly depth: number;
}

function parseInclude(context: FileContext, group: GroupDraft): void {
  const { tokens, draft, source, depth } = context;
  if (tokens.isKeyword('peer')) {
    const at = tokens.take().location;
    const file = tokens.expectString();
    const name = tokens.acceptKeyword('as') ? tokens.expectString().value : undefined;
    const peer = newPeerDraft(name);
    parsePeerSource(readIncluded(file.value, source, depth + 1, file.location), peer, depth + 1);
    addStaticPeer(draft, peer, group, at);
  } else if (tokens.acceptKeyword('peers')) {
    tokens.expectKeyword('from');
    const dir = tokens.expectString();
    addPeerDir(draft, group, source.dir, dir.value, dir.location);
  } else {
    const file = tokens.expectString();
    parseConfigSource(draft, readIncluded(file.value, source, depth + 1, file.location), group, depth + 1);
  }
  tokens.expectEnd();
}

function parseHook(context: FileContext, group: GroupDraft): void {
  const { tokens, draft, source } = context;
  const which = GROUP_HOOKS[tokens.expectOneOf(['up', 'down', 'connect', 'establish', 'disestablish', 'verify'])];
  const sync = tokens.isKeyword('sync') || tokens.isKeyword('async') ? tokens.expectOneOf(['sync', 'async']) === 'sync' : false;
  const { value, location } = tokens.expectString();
  const command = { command: value, sync, dir: source.dir, source: location };
  if (which === 'onVerify') {
    draft.onVerify = command;
    draft.onVerifyGroup = group;
  } else {
    group.hooks[which] = command;
  }
  tokens.expectEnd();
}

/** An inline `peer "name" { … }`, after the `peer` keyword. */
function parseInlinePeer(context: FileContext, group: GroupDraft): void {
  const { tokens, draft, source, depth } = context;
  const peer = newPeerDraft(tokens.expectString().value);
  tokens.expectPunctuation('{');
  parsePeerStatements(tokens, source, peer, depth);
  addStaticPeer(draft, peer, group, tokens.expectPunctuation('}'));
}

/**
 * A statement allowed in every peer group, after its first keyword. Returns the group it
 * opens for `peer group "name" {`, which the caller closes at the matching `}`.
 */
function parseGroupStatement(
  keyword: Keyword,
  at: SourceLocation,
  context: FileContext,
  group: GroupDraft,
  globalScope: boolean,
): GroupDraft | undefined {
  const { tokens } = context;
  switch (keyword) {
    case 'peer':
      if (tokens.acceptKeyword('group')) {
        const name = tokens.expectString().value;
        tokens.expectPunctuation('{');
        return newGroupDraft(name, group);
      }
      if (tokens.acceptKeyword('limit')) {
        const { value, location } = tokens.expect('uint');
        if (value > INT_MAX) throw new ConfigError('invalid peer limit', location);
        group.peerLimit = Number(value);
        tokens.expectEnd();
        return undefined;
      }
      parseInlinePeer(context, group);
      return undefined;
    case 'method': {
      const { value, location } = tokens.expectString();
      addMethod(group, value, location);
      tokens.expectEnd();
      return undefined;
    }
    case 'on':
      if (globalScope && (tokens.isKeyword('pre-up') || tokens.isKeyword('post-down'))) {
        parseGlobalStatement('on', tokens.peek().location, context);
      } else {
        parseHook(context, group);
      }
      return undefined;
    case 'include':
      parseInclude(context, group);
      return undefined;
    default:
      throw new ConfigError('syntax error', at);
  }
}

/**
 * Parses one file into `group`: with the root group the file is a main configuration,
 * with any other group it may only hold peer-group statements (as in fastd).
 */
export function parseConfigSource(draft: ConfigDraft, source: ConfigSource, group: GroupDraft, depth: number): void {
  const tokens = new TokenStream(source.bytes, source.name);
  const context: FileContext = { tokens, draft, source, depth };
  const mainFile = group.parent === undefined;
  const enclosing: GroupDraft[] = [];
  let current = group;
  for (;;) {
    const token = tokens.peek();
    if (token.kind === 'eof') {
      if (enclosing.length > 0) tokens.unexpected();
      return;
    }
    if (token.kind === 'punctuation' && token.char === '}' && enclosing.length > 0) {
      tokens.take();
      current = enclosing.pop() as GroupDraft;
      continue;
    }
    const { keyword, location } = tokens.expect('keyword');
    const globalScope = mainFile && enclosing.length === 0;
    if (globalScope && isGlobalKeyword(keyword)) {
      parseGlobalStatement(keyword, location, context);
      continue;
    }
    const opened = parseGroupStatement(keyword, location, context, current, globalScope);
    if (opened) {
      if (enclosing.length >= MAX_GROUP_NESTING) {
        throw new ConfigError(`peer groups nested deeper than ${MAX_GROUP_NESTING} levels`, location);
      }
      enclosing.push(current);
      current = opened;
    }
  }
}
