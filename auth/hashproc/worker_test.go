package hashproc

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

const password = "correct horse"

// Hashes of password in each scheme regauth accepts (apr1 and {SHA} made by OpenSSL).
var hashes = map[string]string{
	"apr1": "$apr1$hashproc$Gzu7o82qMvIk6ufthF5k80",
	"sha1": "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=",
}

func TestServeAnswersEachRequestInTurnAndEndsWithItsInput(t *testing.T) {
	var in bytes.Buffer
	in.Write(appendRequest(nil, hashes["sha1"], []byte(password)))
	in.Write(appendRequest(nil, hashes["sha1"], []byte("wrong")))
	in.Write(appendRequest(nil, hashes["apr1"], []byte(password)))
	in.Write(appendRequest(nil, "", nil))
	var out bytes.Buffer
	if err := serve(&in, &out); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if got, want := out.Bytes(), []byte{1, 0, 1, 0}; !bytes.Equal(got, want) {
		t.Errorf("answers %v, want %v", got, want)
	}
}

func TestServeRefusesBrokenRequests(t *testing.T) {
	tooLong := binary.BigEndian.AppendUint32(nil, 16)
	tooLong = binary.BigEndian.AppendUint32(tooLong, maxRequest)
	for name, req := range map[string][]byte{
		"header cut short":  {0, 0, 0},
		"body cut short":    appendRequest(nil, hashes["sha1"], []byte(password))[:20],
		"more than allowed": tooLong,
	} {
		var out bytes.Buffer
		err := serve(bytes.NewReader(req), &out)
		if err == nil || !strings.Contains(err.Error(), "hash worker") {
			t.Errorf("%s: error %v, want one from the hash worker", name, err)
		}
		if out.Len() != 0 {
			t.Errorf("%s: answered %v", name, out.Bytes())
		}
	}
}
