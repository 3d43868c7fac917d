package io.metarec.input;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * An interaction log as read, before validation, with its optional feature tables.
 *
 * @param events columns {@code user, item, label, timestamp} (as read: any type) and
 *     {@code source_file}; CSV and JSON logs also have {@code malformed} (the reject reason of a
 *     record that could not be split into fields, else null) and {@code record} (its raw text)
 * @param userFeatures {@code key} and one {@code array<string>} column per user field, or null
 * @param userFields names of the user fields, in column order
 * @param userMultiValued the user fields that may hold several values
 * @param itemFeatures {@code key} and one {@code array<string>} column per item field, or null
 * @param itemFields names of the item fields, in column order
 * @param itemMultiValued the item fields that may hold several values
 * @param labelMin smallest valid label of this input
 * @param labelMax largest valid label of this input
 * @param timestampMillis true when numeric timestamps are milliseconds
 * @param description what was read, for messages ("movielens ml-100k at /data/ml-100k")
 * @param paths the files the input came from, for the fingerprint
 */
public record RawInput(
    Dataset<Row> events,
    Dataset<Row> userFeatures,
    List<String> userFields,
    List<String> userMultiValued,
    Dataset<Row> itemFeatures,
    List<String> itemFields,
    List<String> itemMultiValued,
    double labelMin,
    double labelMax,
    boolean timestampMillis,
    String description,
    List<String> paths) {}
