// The protobufjs runtime used by the generated code (protocols/generated/*), configured once.
//
// 64-bit fields decode to plain numbers, not Long objects: every 64-bit value rackpilot sends
// (seq, stream ids, milliseconds since the epoch, fixed-point samples) stays below 2^53.
// This must run before any generated module evaluates, which is why the generated code imports
// this file (pbjs --dependency) instead of protobufjs directly.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = undefined;
$protobuf.configure();

export default $protobuf;
