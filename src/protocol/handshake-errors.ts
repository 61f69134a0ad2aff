// How fastd words a failed handshake (print_error in src/handshake.c), for errors we send
// and errors a peer sends us, so logs read the same as fastd's.
import {
  RECORD_DESCRIPTIONS,
  RECORD_TYPE_COUNT,
  RecordType,
  ReplyCode,
  type TlvRecords,
  recordLength,
  recordUint,
} from './tlv.js';
import { PROTOCOL_NAME } from './handshake-messages.js';

/** The record an error reply blames; RECORD_TYPE_COUNT (unknown) unless it is 1 or 2 bytes. */
export function receivedErrorDetail(records: TlvRecords): number {
  const length = recordLength(records, RecordType.ErrorDetail);
  return length === 1 || length === 2 ? recordUint(records, RecordType.ErrorDetail)! : RECORD_TYPE_COUNT;
}

/** The explanation of a reply code and error detail; `localMtu` completes the MTU case. */
export function describeHandshakeError(replyCode: number, errorDetail: number, localMtu?: number): string {
  const field = RECORD_DESCRIPTIONS[errorDetail] ?? '<unknown>';
  switch (replyCode) {
    case ReplyCode.MandatoryMissing:
      return `mandatory field \`${field}' missing`;
    case ReplyCode.UnacceptableValue:
      switch (errorDetail) {
        case RecordType.ProtocolName:
          return `peer doesn't use the handshake protocol \`${PROTOCOL_NAME}'`;
        case RecordType.Mode:
          return 'TUN/TAP mode mismatch';
        case RecordType.Mtu:
          return `MTU configuration differs with peer${localMtu === undefined ? '' : ` (local MTU is ${localMtu})`}`;
        case RecordType.MethodName:
        case RecordType.MethodList:
          return 'no common methods are configured';
        default:
          return `unacceptable value for field \`${field}'`;
      }
    default:
      return `unknown code ${replyCode}`;
  }
}
