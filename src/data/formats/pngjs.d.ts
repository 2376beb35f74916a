// The part of pngjs (7.x, which ships no types) that ctc uses: synchronous read and write.

declare module 'pngjs' {
  export interface PngMetadata {
    width: number;
    height: number;
    /** Always RGBA, 8 bits per channel (16-bit images are rescaled) unless skipRescale. */
    data: Buffer;
    /** False for grayscale (colour types 0 and 4). */
    color: boolean;
    alpha: boolean;
    palette: boolean;
    colorType: number;
    depth: number;
  }
  export interface PngWriteOptions {
    /** 0 grayscale, 2 RGB, 4 grayscale + alpha, 6 RGBA. */
    colorType?: number;
    /** Layout of `data`: 0, 2, 4 or 6 as above (default 6, RGBA). */
    inputColorType?: number;
    inputHasAlpha?: boolean;
    bitDepth?: 8 | 16;
  }
  export const PNG: {
    sync: {
      read(buffer: Buffer, options?: { skipRescale?: boolean }): PngMetadata;
      write(png: { width: number; height: number; data: Uint8Array }, options?: PngWriteOptions): Buffer;
    };
  };
}
