/* chan — single-producer single-consumer channels of fixed-size messages on
 * ck_ring, and the doorbell a thread sleeps on until any of many channels has
 * something for it.
 *
 * Threads: exactly one thread sends on a channel and exactly one receives.
 * The ring's release (enqueue) / acquire (dequeue) is the happens-before edge
 * that moves ownership of whatever the message points to.
 * Sleeping: a receiver with nothing to do sleeps on a futex-style wait
 * (no spinning beyond a short bounded loop, no timers); a send wakes it only
 * when it is (about to be) asleep, so the fast path is a ring operation plus
 * one atomic load.
 */
#ifndef COORD_CHANNELS_CHAN_H
#define COORD_CHANNELS_CHAN_H

#include <stdbool.h>
#include <stdint.h>

typedef struct Doorbell Doorbell;
typedef struct Chan Chan;

/* A doorbell: ring() from any thread; wait() by its one owner thread returns
 * once the bell has been rung since the previous wait() returned. */
Doorbell *doorbell_create(void);              /* NULL on allocation failure */
void      doorbell_destroy(Doorbell *d);
void      doorbell_ring(Doorbell *d);
void      doorbell_wait(Doorbell *d);

/* capacity: number of messages the channel can hold (rounded up to a power of
 * two internally, usable capacity >= the request).  msg_size: bytes per
 * message.  bell: if non-NULL, every send also rings it (the receiver then
 * waits on the doorbell instead of the channel: chan_recv is not used). */
Chan *chan_create(uint32_t capacity, uint32_t msg_size, Doorbell *bell);
void  chan_destroy(Chan *c);                  /* after both sides are done */
bool  chan_send(Chan *c, const void *msg);    /* false when full or closed; never blocks */
/* Only the ring operation: wakes nobody and leaves the channel's doorbell
 * alone.  A receiver sleeping in chan_recv on this channel is not woken
 * until the sender calls chan_wake, which it must do before it waits for
 * anything that depends on the message; several quiet sends then cost one
 * fence and one check instead of one each.  A receiver that never sleeps in
 * chan_recv (it polls with chan_try_recv and sleeps on a doorbell the
 * sender rings) needs no chan_wake at all. */
bool  chan_send_quiet(Chan *c, const void *msg);
/* Wakes the receiver if it sleeps in chan_recv (after chan_send_quiet). */
void  chan_wake(Chan *c);
/* Messages waiting; exact when called by the receiving thread (the sender
 * can only add to it meanwhile). */
uint32_t chan_count(const Chan *c);
bool  chan_try_recv(Chan *c, void *msg);      /* false when empty */
/* Blocks until a message arrives (true) or the channel is closed and drained
 * (false). */
bool  chan_recv(Chan *c, void *msg);
/* Close: further sends fail; a receiver blocked in chan_recv wakes and, once
 * the channel is drained, gets false.  Callable by either side. */
void  chan_close(Chan *c);
bool  chan_is_closed(const Chan *c);
uint32_t chan_capacity(const Chan *c);

#endif
