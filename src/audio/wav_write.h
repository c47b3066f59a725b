/* wav_write.h — the streaming WAV writer is part of the public API
 * (earshot.h: es_wav_writer_*); this header exists for internal callers. */
#ifndef ES_AUDIO_WAV_WRITE_H
#define ES_AUDIO_WAV_WRITE_H
#include "earshot.h"
#endif
