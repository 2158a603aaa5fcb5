package sound

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// EncodeWAV writes left and right as a 16-bit stereo PCM WAV file at
// sampleRate. Samples beyond [-1, 1] are clipped; the channels must be the
// same length.
func EncodeWAV(w io.Writer, sampleRate int, left, right []float32) error {
	if len(left) != len(right) {
		return errors.New("sound: encode wav: channels differ in length")
	}
	if sampleRate <= 0 {
		return fmt.Errorf("sound: encode wav: %w: %d Hz", ErrSampleRate, sampleRate)
	}
	const channels, bytesPerSample = 2, 2
	data := len(left) * channels * bytesPerSample
	if int64(data) > 1<<32-1-36 {
		return errors.New("sound: encode wav: too long for a WAV file")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	h := wavHeader(sampleRate, len(left))
	if _, err := bw.Write(h); err != nil {
		return fmt.Errorf("sound: encode wav: %w", err)
	}
	var frame [4]byte
	for i := range left {
		binary.LittleEndian.PutUint16(frame[0:], uint16(pcm16(left[i])))
		binary.LittleEndian.PutUint16(frame[2:], uint16(pcm16(right[i])))
		if _, err := bw.Write(frame[:]); err != nil {
			return fmt.Errorf("sound: encode wav: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sound: encode wav: %w", err)
	}
	return nil
}

// wavHeader returns the header of a 16-bit stereo PCM WAV file of frames
// frames at sampleRate.
func wavHeader(sampleRate, frames int) []byte {
	const channels, bytesPerSample = 2, 2
	data := frames * channels * bytesPerSample
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+data))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], channels)
	binary.LittleEndian.PutUint32(h[24:], uint32(sampleRate))
	binary.LittleEndian.PutUint32(h[28:], uint32(sampleRate*channels*bytesPerSample))
	binary.LittleEndian.PutUint16(h[32:], channels*bytesPerSample)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(data))
	return h
}

// pcm16 converts a sample to 16 bits, rounding to nearest and clipping.
func pcm16(s float32) int16 {
	v := s * 32767
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}

// WAVHeader returns the 44-byte header EncodeWAV writes for frames frames
// at sampleRate, for a writer that makes the samples itself (a server
// streaming a mix, say).
func WAVHeader(sampleRate, frames int) []byte { return wavHeader(sampleRate, frames) }

// PCM16 converts a sample to 16 bits as EncodeWAV does: rounding to
// nearest and clipping.
func PCM16(s float32) int16 { return pcm16(s) }
