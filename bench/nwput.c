/*
 * nwput: `curl -T FILE URL` made with the box's own libcurl (GnuTLS) and
 * the box's TLS settings (pinned key, no chain check, no 100-continue, the
 * same upload buffer), for bench/sync_upload.sh. The curl program on a
 * Debian host is built on OpenSSL, whose AES-GCM is faster than GnuTLS's
 * here, so timing it against the box compares TLS libraries as much as
 * sync designs; this is the like-for-like baseline, and the script reports
 * the curl program beside it.
 *
 * usage: nwput URL FILE PIN   (PIN: base64 SHA-256 of the host's key)
 * exit 0 when the server answered 200.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

int
main(int argc, char **argv)
{
	struct curl_slist *hdr = NULL;
	char pin[128];
	long status = 0;
	FILE *f;
	CURL *c;
	CURLcode cc;
	long len;

	if (argc != 4) {
		fprintf(stderr, "usage: nwput URL FILE PIN\n");
		return 2;
	}
	if (!(f = fopen(argv[2], "rb")) || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
		perror(argv[2]);
		return 1;
	}
	rewind(f);
	snprintf(pin, sizeof pin, "sha256//%s", argv[3]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(c = curl_easy_init()))
		return 1;
	hdr = curl_slist_append(hdr, "Expect:");
	hdr = curl_slist_append(hdr, "Content-Type: application/octet-stream");
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, pin);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_CAINFO, NULL);	/* as sync_http.c: the pin only */
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_READDATA, f);
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);	/* as sync_http.c */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		fprintf(stderr, "nwput: %s\n", curl_easy_strerror(cc));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	fclose(f);
	return status == 200 ? 0 : 1;
}
