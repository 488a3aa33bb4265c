/*
 * bench/floor: the least any Ogg Opus recorder can cost. A bare loop of
 * opus_encode() on 20 ms frames and libogg's stream packer, reading the
 * same WAV with libsndfile, at the settings notewelld uses. No buffering,
 * no fsync, no hashing: this is the yardstick, not a recorder.
 *
 * Usage: floor IN.wav OUT.opus BITRATE COMPLEXITY voip|audio
 */
#include <ogg/ogg.h>
#include <opus/opus.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define FRAME 960

static void
put_pages(ogg_stream_state *os, FILE *out, int flush)
{
	ogg_page og;

	while (flush ? ogg_stream_flush(os, &og) : ogg_stream_pageout(os, &og)) {
		fwrite(og.header, 1, (size_t)og.header_len, out);
		fwrite(og.body, 1, (size_t)og.body_len, out);
	}
}

int
main(int argc, char **argv)
{
	SF_INFO info;
	SNDFILE *sf;
	FILE *out;
	OpusEncoder *enc;
	ogg_stream_state os;
	ogg_packet op;
	int16_t pcm[FRAME];
	unsigned char pkt[4000];
	/* RFC 7845 identification header for 48 kHz mono, pre-skip filled in. */
	unsigned char head[19] = { 'O','p','u','s','H','e','a','d', 1, 1, 0, 0,
	    0x80, 0xbb, 0, 0, 0, 0, 0 };
	unsigned char tags[] = { 'O','p','u','s','T','a','g','s', 5,0,0,0,
	    'f','l','o','o','r', 0,0,0,0 };
	opus_int32 lookahead;
	int64_t gp, packetno = 0;
	int err, app;

	if (argc != 6) {
		fprintf(stderr, "usage: floor IN.wav OUT.opus BITRATE COMPLEXITY voip|audio\n");
		return 2;
	}
	app = strcmp(argv[5], "voip") == 0 ? OPUS_APPLICATION_VOIP : OPUS_APPLICATION_AUDIO;
	memset(&info, 0, sizeof info);
	if ((sf = sf_open(argv[1], SFM_READ, &info)) == NULL || info.channels != 1 ||
	    info.samplerate != 48000 || (out = fopen(argv[2], "wb")) == NULL) {
		fprintf(stderr, "floor: need a 48 kHz mono input and a writable output\n");
		return 1;
	}
	enc = opus_encoder_create(48000, 1, app, &err);
	if (enc == NULL)
		return 1;
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(atoi(argv[3])));
	opus_encoder_ctl(enc, OPUS_SET_VBR(1));
	opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(atoi(argv[4])));
	opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(&lookahead));
	head[10] = (unsigned char)(lookahead & 0xff);
	head[11] = (unsigned char)(lookahead >> 8);

	ogg_stream_init(&os, 0x466c6f6f);
	op = (ogg_packet){ head, sizeof head, 1, 0, 0, packetno++ };
	ogg_stream_packetin(&os, &op);
	put_pages(&os, out, 1);
	op = (ogg_packet){ tags, sizeof tags, 0, 0, 0, packetno++ };
	ogg_stream_packetin(&os, &op);
	put_pages(&os, out, 1);

	gp = lookahead;
	for (;;) {
		sf_count_t n = sf_readf_short(sf, pcm, FRAME);
		opus_int32 len;

		if (n <= 0)
			break;
		if (n < FRAME)
			memset(pcm + n, 0, (size_t)(FRAME - n) * sizeof *pcm);
		len = opus_encode(enc, pcm, FRAME, pkt, sizeof pkt);
		if (len < 0)
			return 1;
		gp += n;
		op = (ogg_packet){ pkt, len, 0, n < FRAME, gp, packetno++ };
		ogg_stream_packetin(&os, &op);
		put_pages(&os, out, n < FRAME);
	}
	put_pages(&os, out, 1);
	ogg_stream_clear(&os);
	opus_encoder_destroy(enc);
	sf_close(sf);
	fclose(out);
	return 0;
}
