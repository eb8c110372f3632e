/*
 * bench_clock.h - the clock and the median of the C benchmark programs (bench_step.c,
 * read_bound.c). Include it after defining _POSIX_C_SOURCE (clock_gettime).
 */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the median of n timings (sorts them in place) */
static double median_ns(double *runs, int n)
{
    qsort(runs, (size_t)n, sizeof runs[0], cmp_double);
    return runs[n / 2];
}

#endif /* BENCH_CLOCK_H */
