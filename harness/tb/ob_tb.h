/*
 * ob_tb.h — TensorBoard event files (README "TensorBoard"): what `optbench
 * run --tensorboard DIR` and `optbench tensorboard RUN DIR` write, so that
 * `tensorboard --logdir DIR` shows every measured series of a run.
 *
 * An event file is a sequence of TFRecords, each
 *     uint64 length (little endian)
 *     uint32 masked_crc32c(length bytes)
 *     data[length]                          (one serialized Event)
 *     uint32 masked_crc32c(data)
 * with CRC-32C (Castagnoli) and TensorFlow's mask
 *     masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8
 * (tensorflow/core/lib/hash/crc32c.h).  The first Event carries
 * file_version "brain.Event:2"; every other carries one scalar summary
 * (harness/tb/tb_event.proto, encoded with protobuf-c; CRC-32C from
 * ISA-L's crc32_iscsi).
 */
#ifndef OB_TB_H
#define OB_TB_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of n bytes, and TensorFlow's masked form of it. */
uint32_t ob_tb_crc32c(const void *data, size_t n);
uint32_t ob_tb_masked_crc(const void *data, size_t n);

/* An event file being built in memory; written atomically at the end. */
typedef struct ob_tb_file {
    unsigned char *buf;
    size_t len, cap;
    int failed; /* out of memory */
} ob_tb_file;

/* Starts a file: its file_version event at wall_time. */
void ob_tb_begin(ob_tb_file *f, double wall_time);
/* Appends one scalar summary event (tag, step, value as fp32). */
void ob_tb_scalar(ob_tb_file *f, const char *tag, int64_t step, float value, double wall_time);
/* Writes the file atomically as DIR/events.out.tfevents.<wall>.<host>
 * (DIR made as needed) and frees it.  0, or -1 with a message. */
int ob_tb_write(ob_tb_file *f, const char *dir, double wall_time, char *err, size_t errlen);
void ob_tb_free(ob_tb_file *f);

/* One case's CSV (a run folder's cases/<case>.csv) as an event file in
 * DIR/<case>: every column but step becomes a tag, "<path>_<metric>"
 * written as "<metric>/<path>" (loss/avx512, gap/ref, ...) so TensorBoard
 * groups a metric's paths in one chart; one event per row and column,
 * step = the row's step.  Empty cells are left out.  *events: the
 * scalars written.  0, or -1 with a message. */
int ob_tb_from_csv(const char *csv_path, const char *dir, double wall_time, size_t *events, char *err,
                   size_t errlen);
/* The same with every tag followed by "/<setting>" ("loss/ref/lr=0.01
 * seed=0"; setting NULL: none), for `sweep --tensorboard`, whose runs of
 * one (problem, optimizer) differ by their setting. */
int ob_tb_from_csv_setting(const char *csv_path, const char *dir, const char *setting, double wall_time,
                           size_t *events, char *err, size_t errlen);
/* Every case CSV of run folder run_dir into out_dir (one folder per
 * case).  *files, *events: counts.  0, or -1 with a message. */
int ob_tb_from_run(const char *run_dir, const char *out_dir, size_t *files, size_t *events, char *err,
                   size_t errlen);

#endif
