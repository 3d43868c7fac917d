/**
 * Configuration: the documented defaults ({@code conf/metarec.conf}, shipped in the jar), user files
 * and {@code --set key=value} overrides merged with Typesafe Config, then checked key by key into
 * immutable records before any Spark work starts. Unknown keys, wrong types and out-of-range values
 * fail with a {@link io.metarec.config.ConfigValidationException} naming the key and what is allowed.
 */
package io.metarec.config;
