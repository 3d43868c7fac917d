/**
 * Configuration: the documented defaults ({@code conf/metarec.conf}, shipped in the jar), user files
 * and {@code --set key=value} overrides merged with Typesafe Config, then checked key by key into
 * immutable records before any Spark work starts. Unknown keys, wrong types and out-of-range values
 * fail with a {@link io.metarec.config.ConfigValidationException} naming the key and what is allowed.
 * Every section, the engine's inner-loop and outer-loop settings included, is read here, through
 * {@link io.metarec.config.ConfigReader}, and every enum value by {@link io.metarec.config.Checks#enumValue}.
 */
package io.metarec.config;
