/* serve_gate.c — a few worker slots and a bounded queue in front of the
 * searches (serve.h): a burst waits its turn, a flood gets 503 at once
 * instead of piling up threads and memory. */
#include <errno.h>
#include <math.h>
#include <time.h>

#include "app/serve.h"

void es_gate_init(es_gate *g, int slots, int queue_limit)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &a);
    pthread_condattr_destroy(&a);
    g->slots = slots > 0 ? slots : 1;
    g->queue_limit = queue_limit >= 0 ? queue_limit : 0;
    g->busy = g->queued = 0;
}

void es_gate_destroy(es_gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

int es_gate_enter(es_gate *g, double wait_s)
{
    pthread_mutex_lock(&g->mu);
    if (g->busy < g->slots && g->queued == 0) {
        g->busy++;
        pthread_mutex_unlock(&g->mu);
        return 0;
    }
    if (g->queued >= g->queue_limit) {
        pthread_mutex_unlock(&g->mu);
        return -1;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    double whole = floor(wait_s);
    until.tv_sec += (time_t)whole;
    until.tv_nsec += (long)((wait_s - whole) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    g->queued++;
    int rc = 0;
    while (g->busy >= g->slots && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&g->cv, &g->mu, &until);
    g->queued--;
    int ok = g->busy < g->slots;
    if (ok) g->busy++;
    pthread_mutex_unlock(&g->mu);
    return ok ? 0 : -1;
}

void es_gate_leave(es_gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->busy--;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

void es_gate_counts(es_gate *g, int *busy, int *queued)
{
    pthread_mutex_lock(&g->mu);
    *busy = g->busy;
    *queued = g->queued;
    pthread_mutex_unlock(&g->mu);
}
