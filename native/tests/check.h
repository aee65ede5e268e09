/* Minimal checks for the C tests: a failed check prints where and why, and the test exits 1 at the end. */
#ifndef GPUAE_TEST_CHECK_H
#define GPUAE_TEST_CHECK_H
#include <stdio.h>
#include <string.h>
#include "gpuae.h"

static int check_failures = 0;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); check_failures++; } } while (0)

/* The call returns `expected`, and an error leaves a non-empty message. */
#define CHECK_STATUS(expected, call) do { \
    gpuae_status got_ = (call); \
    if (got_ != (expected)) { \
        fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d; last error: %s\n", __FILE__, __LINE__, #call, \
                (int)got_, gpuae_status_string(got_), (int)(expected), gpuae_last_error()); \
        check_failures++; \
    } else if (got_ != GPUAE_OK && gpuae_last_error()[0] == '\0') { \
        fprintf(stderr, "%s:%d: %s failed without a message\n", __FILE__, __LINE__, #call); check_failures++; \
    } \
} while (0)

/* The last error mentions `part`. */
#define CHECK_MESSAGE(part) do { \
    if (strstr(gpuae_last_error(), (part)) == NULL) { \
        fprintf(stderr, "%s:%d: last error \"%s\" does not mention \"%s\"\n", __FILE__, __LINE__, gpuae_last_error(), (part)); \
        check_failures++; \
    } \
} while (0)

static int check_result(const char *test) {
    if (check_failures) fprintf(stderr, "%s: %d check(s) failed\n", test, check_failures);
    else printf("%s: all checks passed\n", test);
    return check_failures ? 1 : 0;
}
#endif
