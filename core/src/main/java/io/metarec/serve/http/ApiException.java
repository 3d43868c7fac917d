package io.metarec.serve.http;

/** A request the endpoint refuses: the HTTP status and a message for the client. */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
