/**
 * {@code metarec serve}: the serving API as an HTTP JSON endpoint on the JDK's built-in server,
 * with checked requests (4xx with a message, never a stack trace), atomic reloads from a nightly
 * registry and a graceful stop.
 */
package io.metarec.serve.http;
