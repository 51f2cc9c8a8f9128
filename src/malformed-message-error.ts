/** A request whose bytes are not a valid message of its type (truncated, invalid UTF-8, not strict protobuf, ...). */
export class MalformedMessageError extends Error {
  constructor(options: ErrorOptions) {
    super("request is not a valid protobuf message of the expected type", options);
    this.name = "MalformedMessageError";
  }
}
