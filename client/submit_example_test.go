package client_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/segel-lpse/segel/client"
	"github.com/segel-lpse/segel/sealer"
)

// A bidder on an unstable link uploads a sealed offer in chunks: a cut
// connection is retried from where the server says the upload stands, and
// the receipt can be fetched again later, byte for byte.
func ExampleClient_SendUpload() {
	ctx := context.Background()
	url, tenderID, chain, stop := exampleServer()
	defer stop()
	bidder, err := client.New(url, client.WithChain(chain)).Login(ctx, "direktur@cv-uji-0.test.co.id", password)
	if err != nil {
		log.Fatal(err)
	}
	target, err := bidder.Target(ctx, tenderID)
	if err != nil {
		log.Fatal(err)
	}
	var sealed bytes.Buffer
	if _, err := sealer.Seal(&sealed, strings.NewReader(strings.Repeat("Rincian harga. ", 20000)), target); err != nil {
		log.Fatal(err)
	}
	file := bytes.NewReader(sealed.Bytes()) // in practice: the sealed *os.File, kept until the receipt
	up, err := bidder.BeginUpload(ctx, tenderID, file.Size())
	if err != nil {
		log.Fatal(err) // keep up.ID to resume after a restart (UploadStatus)
	}
	up, err = bidder.SendUpload(ctx, up, file, client.UploadOptions{ChunkSize: 64 << 10})
	if err != nil {
		log.Fatal(err)
	}
	rc, err := bidder.FinishUpload(ctx, up.ID)
	if err != nil {
		log.Fatal(err)
	}
	again, err := bidder.OfferReceipt(ctx, tenderID, client.Me)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("uploaded:", up.Received == file.Size())
	fmt.Println("same receipt:", bytes.Equal(again, []byte(rc.Receipt)))
	// Output:
	// uploaded: true
	// same receipt: true
}
