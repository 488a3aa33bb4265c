/*
 * libcheck: one call into every library the firmware links (FW_PKGS), so
 * the image is proven to carry and load them all before the real daemon
 * uses each one. Prints "LIBCHECK name version" per library, then
 * "LIBCHECK-OK". Cross-built like the firmware; run in the guest.
 */
#include <alsa/asoundlib.h>
#include <curl/curl.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <jansson.h>
#include <libusb.h>
#include <nettle/sha2.h>
#include <nettle/version.h>
#include <ogg/ogg.h>
#include <opus.h>
#include <opusenc.h>
#include <png.h>
#include <qrencode.h>
#include <sndfile.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>

int
main(void)
{
	char sfver[64];
	FT_Library ft;
	FT_Int ma, mi, pa;
	ogg_stream_state os;
	struct sha256_ctx sha;
	const struct libusb_version *uv = libusb_get_version();
	json_t *j = json_pack("{s:i}", "n", 1);
	int rc = 1;

	if (sodium_init() < 0 || FT_Init_FreeType(&ft) != 0 || j == NULL ||
	    ogg_stream_init(&os, 1) != 0)
		goto out;
	FT_Library_Version(ft, &ma, &mi, &pa);
	sf_command(NULL, SFC_GET_LIB_VERSION, sfver, sizeof sfver);
	printf("LIBCHECK sqlite3 %s\n", sqlite3_libversion());
	printf("LIBCHECK opus %s\n", opus_get_version_string());
	printf("LIBCHECK libopusenc %s\n", ope_get_version_string());
	printf("LIBCHECK ogg stream-init\n");
	printf("LIBCHECK libusb %u.%u.%u\n", uv->major, uv->minor, uv->micro);
	printf("LIBCHECK libqrencode %s\n", QRcode_APIVersionString());
	printf("LIBCHECK libsodium %s\n", sodium_version_string());
	printf("LIBCHECK libcurl %s\n", curl_version());
	printf("LIBCHECK jansson %d\n", (int)json_integer_value(json_object_get(j, "n")));
	printf("LIBCHECK sndfile %s\n", sfver);
	printf("LIBCHECK libpng %s\n", png_get_libpng_ver(NULL));
	printf("LIBCHECK freetype %d.%d.%d\n", ma, mi, pa);
	printf("LIBCHECK alsa %s\n", snd_asoundlib_version());
	sha256_init(&sha);
	printf("LIBCHECK nettle %d.%d sha256-init\n", nettle_version_major(),
	    nettle_version_minor());
	printf("LIBCHECK-OK\n");
	ogg_stream_clear(&os);
	FT_Done_FreeType(ft);
	rc = 0;
out:
	json_decref(j);
	return rc;
}
